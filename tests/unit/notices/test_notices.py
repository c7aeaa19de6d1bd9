"""Proactive notices on the sample store: which problems are told, told once across two
watchers (real Redis), in the shopper's language, in their chat or queued for email."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from bot import copy
from handoff import keys, shopdata
from handoff.conversations.store import ConversationStore
from handoff.notices.detect import detect, due
from handoff.notices.watcher import NoticeWatcher

EXPECTED = {
    "customs_hold": "customs_hold",
    "delivery_failed": "delivery_failed",
    "returned_to_sender": "returned_to_sender",
    "stalled": "stalled",
    "processing_late": "ship_late",
}


@pytest.mark.parametrize("scenario,kind", sorted(EXPECTED.items()))
def test_each_problem_scenario_is_detected(store: Any, scenario: str, kind: str) -> None:
    # (an order of a scenario may not have reached its problem yet: still in transit)
    orders = [o for o in store.all_orders() if store.scenarios[o.order_id] == scenario]
    notices = [detect(o, shopdata.route_stats(), store.now()) for o in orders]
    found = [n for n in notices if n is not None and n.kind == kind]
    assert found, [n and n.kind for n in notices]
    for lang in copy.NATIVE:
        text = copy.render(found[0].copy_key, lang, **found[0].params(lang))
        assert found[0].order_id in text and "{" not in text


@pytest.mark.parametrize("scenario", ["delivered", "cancelled"])
def test_no_notice_without_a_problem(store: Any, scenario: str) -> None:
    orders = [o for o in store.all_orders() if store.scenarios[o.order_id] == scenario]
    assert orders
    assert all(detect(o, shopdata.route_stats(), store.now()) is None for o in orders)


def test_old_problems_are_not_told_when_the_watcher_starts(store: Any) -> None:
    now, stats = store.now(), shopdata.route_stats()
    everything = due(store.all_orders(), stats, now, timedelta(days=3650))
    recent = due(store.all_orders(), stats, now, timedelta(days=1))
    assert len(recent) < len(everything)
    assert all(now - n.since <= timedelta(days=1) for n in recent)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.close()


async def test_two_watchers_tell_each_problem_once(redis: Redis, store: Any) -> None:
    order = next(
        o
        for o in store.all_orders()
        if (n := detect(o, shopdata.route_stats(), store.now())) and n.kind == "customs_hold"
    )
    conversations = ConversationStore(redis, 86400)
    conv_id = "notice-de-1"
    await conversations.append_many(
        conv_id,
        [{"speaker": "shopper", "text": "Wo ist mein Paket?", "language": "de"}],
        meta={"language": "de", "order_id": order.order_id},
    )
    watchers = [
        NoticeWatcher(redis, conversations, f"gw-{n}", lookback=timedelta(days=3650))
        for n in range(2)
    ]
    first, second = await asyncio.gather(*(w.scan_once() for w in watchers))
    told = first + second
    ids = [t["notice_id"] for t in told]
    assert len(ids) == len(set(ids)) and len(ids) > 5  # every problem once, by one of them
    assert await asyncio.gather(*(w.scan_once() for w in watchers)) == [[], []]

    in_chat = [t for t in told if t["conversation_id"] == conv_id]
    assert [t["kind"] for t in in_chat] == ["customs_hold"] and in_chat[0]["language"] == "de"
    transcript = await conversations.history(conv_id)
    assert transcript[-1]["notice"] == "customs_hold"
    assert order.order_id in transcript[-1]["text"]
    assert transcript[-1]["text"] == copy.render(
        "notice_customs_hold",
        "de",
        **detect(order, shopdata.route_stats(), store.now()).params("de"),
    )

    outbox = [json.loads(x) for x in await redis.lrange(keys.NOTICE_OUTBOX, 0, -1)]
    assert len(outbox) == len(told) - 1
    mail = outbox[0]
    mailed_order = store.get_order(mail["order_id"])
    assert mail["to"] == mailed_order.email and mailed_order.order_id in mail["subject"]
    kinds = [json.loads(f[b"event"])["kind"] for _, f in await redis.xrange(keys.EVENTS_STREAM)]
    assert kinds.count("notice_sent") == len(told)


async def test_one_leader_at_a_time_and_a_dead_one_is_replaced(redis: Redis) -> None:
    conversations = ConversationStore(redis, 86400)
    a = NoticeWatcher(redis, conversations, "gw-a", every_s=0.1)
    b = NoticeWatcher(redis, conversations, "gw-b", every_s=0.1)
    assert await a.lead() and not await b.lead()
    assert await a.lead()  # renewing its own lead
    await asyncio.sleep(0.4)  # a stops renewing (died): its lead runs out after 3 periods
    assert await b.lead() and not await a.lead()


async def test_a_pass_scans_the_open_orders_only_and_misses_no_problem(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watcher reads `open_orders()` (not delivered, cancelled or returned), never
    every order — and tells exactly the problems a scan of every order finds."""
    shop = shopdata.store()
    stats = shopdata.route_stats()  # (built from every order once, cached)
    everything = due(shop.all_orders(), stats, shop.now(), timedelta(days=3650))
    opened = shop.open_orders()
    assert everything and len(opened) < len(shop.all_orders()) / 3

    def every_order() -> list[Any]:
        raise AssertionError("the watcher scanned every order")

    monkeypatch.setattr(shop, "all_orders", every_order)
    watcher = NoticeWatcher(
        redis, ConversationStore(redis, 86400), "gw-o", lookback=timedelta(days=3650)
    )
    told = await watcher.scan_once()
    assert sorted(t["notice_id"] for t in told) == sorted(n.notice_id for n in everything)
