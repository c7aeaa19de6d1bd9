"""The human queue on a real Redis: order, SLA, atomic claims, transfer, release, grace,
close and hand-back."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest
from redis.asyncio import Redis

from handoff import keys
from handoff.cases.schema import Case
from handoff.cases.writer import CaseWriter
from handoff.routing.config import load_config
from handoff.routing.queue import HandoffStore

T0 = 1_790_000_000.0  # a fixed clock: every call below passes `now`


def esc(priority: str, *codes: str) -> dict:
    return {
        "escalate": True,
        "score": 0.9,
        "priority": priority,
        "reasons": [{"code": c, "detail": c} for c in codes],
    }


@pytest.fixture
async def store(redis_url: str):  # type: ignore[no-untyped-def]
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    config = dataclasses.replace(load_config(), grace_s=30)
    yield HandoffStore(redis, config)
    await redis.close()


async def test_priority_first_then_longest_wait(store: HandoffStore) -> None:
    await store.enqueue("conv-normal-old", esc("normal", "human"), "general", now=T0)
    await store.enqueue("conv-high-new", esc("high", "sentiment"), "general", now=T0 + 50)
    await store.enqueue("conv-urgent", esc("urgent", "legal"), "billing", now=T0 + 90)
    await store.enqueue("conv-normal-new", esc("normal", "value"), "general", now=T0 + 20)
    items = await store.queued(now=T0 + 100)
    assert [i["conversation_id"] for i in items] == [
        "conv-urgent",
        "conv-high-new",
        "conv-normal-old",
        "conv-normal-new",
    ]
    assert [i["position"] for i in items] == [1, 2, 3, 4]
    assert items[2]["waiting_s"] == 100.0
    assert items[0]["reasons"][0]["code"] == "legal" and items[0]["team"] == "billing"


async def test_requeue_keeps_place_and_raises_priority_only(store: HandoffStore) -> None:
    assert await store.enqueue("conv-a", esc("normal", "human"), "general", now=T0) == 1
    assert await store.enqueue("conv-b", esc("normal", "human"), "general", now=T0 + 5) == 2
    # a second escalation of a queued chat does not reset its wait ...
    assert await store.enqueue("conv-a", esc("low", "vip"), "general", now=T0 + 9) == 1
    # ... and a stronger one moves it up
    assert await store.enqueue("conv-b", esc("urgent", "legal"), "general", now=T0 + 10) == 1
    meta = await store.redis.hgetall(keys.conversation("conv-a"))
    assert meta[b"queued_at"] == f"{T0:.3f}".encode() and meta[b"priority"] == b"normal"


async def test_sla_countdown_and_breach(store: HandoffStore) -> None:
    target = store.config.sla_s["urgent"]
    await store.enqueue("conv-sla", esc("urgent", "legal"), "general", now=T0)
    before = (await store.queued(now=T0 + target - 10))[0]
    assert before["sla_remaining_s"] == 10.0 and not before["breached"]
    after = (await store.queued(now=T0 + target + 1))[0]
    assert after["breached"] and after["sla_remaining_s"] == -1.0
    # answered in time: a late look at the record does not call it breached
    await store.enqueue("conv-ok", esc("urgent", "legal"), "general", now=T0)
    assert await store.claim("conv-ok", "lena", "Lena", now=T0 + 5)
    await store.first_response("conv-ok", now=T0 + 6)
    owned = await store.owned("lena", now=T0 + target + 100)
    assert owned[0]["conversation_id"] == "conv-ok" and not owned[0]["breached"]


async def test_two_hundred_concurrent_claims_have_exactly_one_winner(
    store: HandoffStore, redis_url: str
) -> None:
    await store.enqueue("conv-race", esc("high", "fraud"), "general", now=T0)
    # separate connections so the claims really interleave on the server
    clients = [Redis.from_url(redis_url) for _ in range(20)]
    stores = [HandoffStore(c, store.config) for c in clients]
    results = await asyncio.gather(
        *[stores[i % 20].claim("conv-race", f"agent{i}", f"Agent {i}") for i in range(200)]
    )
    assert sum(results) == 1
    winner = f"agent{results.index(True)}"
    meta = await store.redis.hgetall(keys.conversation("conv-race"))
    assert meta[b"owner"].decode() == winner and meta[b"mode"] == b"agent"
    assert await store.redis.zscore(keys.QUEUE, "conv-race") is None
    owners = [
        i
        for i in range(200)
        if await store.redis.sismember(keys.agent_chats(f"agent{i}"), "conv-race")
    ]
    assert owners == [results.index(True)]
    for c in clients:
        await c.close()


async def test_release_returns_to_old_place_and_only_owner_may(store: HandoffStore) -> None:
    await store.enqueue("conv-1", esc("normal", "human"), "general", now=T0)
    await store.enqueue("conv-2", esc("normal", "human"), "general", now=T0 + 30)
    assert await store.claim("conv-1", "lena", "Lena", now=T0 + 40)
    assert not await store.release("conv-1", "mark")  # not his
    assert await store.release("conv-1", "lena")
    assert [i["conversation_id"] for i in await store.queued(now=T0 + 50)] == ["conv-1", "conv-2"]
    assert await store.redis.scard(keys.agent_chats("lena")) == 0
    assert not await store.release("conv-1", "lena")  # already queued


async def test_transfer_to_agent_and_to_team(store: HandoffStore) -> None:
    pubsub = store.redis.pubsub()
    await pubsub.subscribe(keys.agent_channel("wei"))
    await store.enqueue("conv-t", esc("normal", "human"), "general", now=T0)
    assert await store.claim("conv-t", "lena", "Lena", now=T0 + 1)
    assert not await store.transfer_to_agent("conv-t", "mark", "wei", "Wei")
    assert await store.transfer_to_agent("conv-t", "lena", "wei", "Wei")
    assert [i["conversation_id"] for i in await store.owned("wei")] == ["conv-t"]
    assert await store.owned("lena") == []
    got = None
    for _ in range(50):
        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if msg:
            got = json.loads(msg["data"])
            break
    assert got == {"event": "assigned", "conversation_id": "conv-t", "by": "lena"}
    # to a team: back in the queue, routed to billing
    assert await store.release("conv-t", "wei", team="billing")
    item = (await store.queued(now=T0 + 5))[0]
    assert item["conversation_id"] == "conv-t" and item["team"] == "billing"
    await pubsub.close()


async def test_disconnect_and_away_grace(store: HandoffStore) -> None:
    grace = store.config.grace_s
    await store.set_status("lena", "available", now=T0)
    await store.set_status("mark", "available", now=T0)
    for conv, who in (("conv-l", "lena"), ("conv-m", "mark")):
        await store.enqueue(conv, esc("normal", "human"), "general", now=T0)
        assert await store.claim(conv, who, who.title(), now=T0 + 1)
    # lena's socket keeps beating; mark's stops at T0; within grace nothing moves
    await store.heartbeat("lena", now=T0 + grace - 1)
    assert await store.sweep(now=T0 + grace - 1) == []
    await store.heartbeat("lena", now=T0 + grace + 5)
    assert await store.sweep(now=T0 + grace + 5) == [("conv-m", "mark")]
    assert sorted(await store.available_agents(now=T0 + grace + 5)) == ["lena"]
    # lena sets herself away: her chat stays hers during the grace period, then goes back
    await store.set_status("lena", "away", now=T0 + 100)
    assert await store.sweep(now=T0 + 100 + grace - 1) == []
    await store.heartbeat("lena", now=T0 + 100 + grace + 1)
    assert await store.sweep(now=T0 + 100 + grace + 1) == [("conv-l", "lena")]
    assert {i["conversation_id"] for i in await store.queued(now=T0 + 200)} == {"conv-l", "conv-m"}


async def test_close_records_case_and_hand_back_returns_to_bot(store: HandoffStore) -> None:
    await store.enqueue("conv-c", esc("high", "fraud"), "general", now=T0)
    assert await store.claim("conv-c", "lena", "Lena", now=T0 + 3)
    assert not await store.finish("conv-c", "mark")
    assert await store.finish("conv-c", "lena")
    writer = CaseWriter(store.redis)
    case_id = await writer.record(
        Case(
            conversation_id="conv-c",
            email="ana@example.com",
            order_id="XB-100001",
            issue_type="damaged_item",
            resolution="reship",
            resolved_by="lena",
            reasons=("fraud",),
        ),
        now=T0 + 60,
    )
    case = await writer.get(case_id)
    assert case["resolution"] == "reship" and case["issue_type"] == "damaged_item"
    assert case["email"] == "ana@example.com" and json.loads(case["reasons"]) == ["fraud"]
    assert (await store.redis.xrange(keys.CASES_STREAM))[-1][1] == {b"case_id": case_id.encode()}
    meta = await store.redis.hgetall(keys.conversation("conv-c"))
    assert meta[b"mode"] == b"bot" and b"owner" not in meta
    assert not await store.finish("conv-c", "lena")  # nothing left to close


def test_team_routing_and_hours() -> None:
    cfg = load_config()
    assert cfg.team_for("payment_issue", ["human"]) == "billing"
    assert cfg.team_for("track_order", []) == "logistics"
    assert cfg.team_for("track_order", ["dispute"]) == "billing"
    assert cfg.team_for("greet", []) == "general"
    office = dataclasses.replace(cfg, open_at="08:00", close_at="22:00", tz="UTC")
    assert office.is_open(1_790_000_000 - 1_790_000_000 % 86400 + 9 * 3600)
    assert not office.is_open(1_790_000_000 - 1_790_000_000 % 86400 + 23 * 3600)
