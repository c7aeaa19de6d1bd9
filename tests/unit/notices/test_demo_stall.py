"""`make demo-stall` against real Redis and two notice watchers: the demo step rewrites one
order in a copy of the sample store file, the store the watchers read picks the change up by
itself, and the shopper is told once, in their language: by email (through a real SMTP
relay) without a chat, in the chat with one."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot import copy
from handoff import keys, shopdata
from handoff.channels.email.notices import send_one
from handoff.channels.email.outbound import Mailer
from handoff.conversations.store import ConversationStore
from handoff.notices.detect import detect
from handoff.notices.watcher import NoticeWatcher
from handoff.settings import Settings
from shop.demo_orders import stall
from shop.routes import RouteStats
from shop.store import SampleStore
from shop.tracking import assess
from tests.support.smtp_relay import SmtpRelay


@pytest.fixture
def shop_file(sample_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample store file, opened as the gateway opens it (the shared one stays
    untouched): what `shopdata.store()` returns while the test runs."""
    path = tmp_path / "sample_store.json"
    shutil.copy(sample_store, path)
    store = SampleStore.from_file(path)
    store.REFRESH_S = 0.0  # look at the file on every read (the gateway: once a second)
    stats = RouteStats(store.all_orders())
    monkeypatch.setattr(shopdata, "store", lambda: store)
    monkeypatch.setattr(shopdata, "route_stats", lambda: stats)
    return path


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.close()


@pytest.fixture
def relay() -> Iterator[SmtpRelay]:
    server = SmtpRelay().start()
    yield server
    server.stop()


async def both_scan(watchers: list[NoticeWatcher]) -> list[dict[str, Any]]:
    first, second = await asyncio.gather(*(w.scan_once() for w in watchers))
    return first + second


def watchers_on(redis: Redis) -> tuple[ConversationStore, list[NoticeWatcher]]:
    conversations = ConversationStore(redis, 86400)
    # the gateway's settings: the default look-back, not "everything ever"
    return conversations, [NoticeWatcher(redis, conversations, f"gw-{n}") for n in range(2)]


async def test_the_stalled_parcel_is_mailed_once_in_the_shoppers_language(
    shop_file: Path, redis: Redis, relay: SmtpRelay
) -> None:
    _, watchers = watchers_on(redis)
    await both_scan(watchers)  # what was already wrong when the gateway started
    assert await both_scan(watchers) == []
    await redis.delete(keys.NOTICE_OUTBOX)

    done = stall(shop_file)
    order = shopdata.store().get_order(done.order_id)
    assert order is not None and done.language != "en"  # the demo shows another language
    notice = detect(order, shopdata.route_stats(), shopdata.store().now())
    assert notice is not None and notice.kind == "stalled"

    told = await both_scan(watchers)
    assert [(t["order_id"], t["kind"], t["channel"]) for t in told] == [
        (done.order_id, "stalled", "email")
    ]
    assert told[0]["language"] == done.language
    assert told[0]["text"] == copy.render(
        "notice_stalled", done.language, **notice.params(done.language)
    )
    assert await both_scan(watchers) == []  # told once, not on every pass
    assert await redis.llen(keys.NOTICE_OUTBOX) == 1

    settings = Settings(smtp_url=relay.url)
    sent = [send_one(redis, Mailer(relay.url), settings, wait_s=1) for _ in range(2)]
    assert sorted(await asyncio.gather(*sent)) == [False, True]
    mail = await asyncio.to_thread(relay.wait_for, lambda m: done.order_id in str(m["Subject"]))
    assert str(mail["To"]) == done.email and mail["Content-Language"] == done.language
    assert len(relay.to(done.email)) == 1


async def test_a_shopper_with_a_chat_gets_the_notice_there(shop_file: Path, redis: Redis) -> None:
    store, stats = shopdata.store(), shopdata.route_stats()
    order = next(
        o
        for o in store.all_orders()
        if o.country == "DE" and assess(o, stats, store.now()).state == "in_transit"
    )
    conversations, watchers = watchers_on(redis)
    conv_id = "demo-stall-de"
    await conversations.append_many(
        conv_id,
        [{"speaker": "shopper", "text": f"Wann kommt {order.order_id}?", "language": "de"}],
        meta={"language": "de", "order_id": order.order_id},
    )
    before = [t["order_id"] for t in await both_scan(watchers)]
    assert order.order_id not in before  # still moving: nothing to tell yet

    done = stall(shop_file, order.order_id)
    assert done.order_id == order.order_id
    told = await both_scan(watchers)
    assert [(t["order_id"], t["channel"], t["language"]) for t in told] == [
        (order.order_id, "chat", "de")
    ]
    transcript = await conversations.history(conv_id)
    assert transcript[-1]["notice"] == "stalled" and transcript[-1]["language"] == "de"
    assert order.order_id in transcript[-1]["text"]
    assert await both_scan(watchers) == []
    assert len([e for e in await conversations.history(conv_id) if e.get("notice")]) == 1
    outbox = [json.loads(x) for x in await redis.lrange(keys.NOTICE_OUTBOX, 0, -1)]
    assert order.order_id not in [m["order_id"] for m in outbox]


def test_the_demo_refuses_a_parcel_that_is_not_moving(shop_file: Path) -> None:
    done = stall(shop_file)
    with pytest.raises(SystemExit, match="not a parcel in transit"):
        stall(shop_file, done.order_id)  # already stalled
    assert stall(shop_file).order_id != done.order_id  # the next run takes another one
