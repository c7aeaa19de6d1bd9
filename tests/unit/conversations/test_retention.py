"""Retention on a real Redis: every append pushes a conversation's expiry back; cases stay."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from handoff import keys
from handoff.cases.schema import Case
from handoff.cases.writer import CaseWriter
from handoff.conversations.store import ConversationStore


async def test_conversation_keys_expire_after_the_retention(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    store = ConversationStore(redis, retention_s=3600)
    await store.append_many("ret-1", [{"speaker": "shopper", "text": "hi"}], meta={"mode": "bot"})
    for key in (keys.conversation("ret-1"), keys.transcript("ret-1"), keys.seq("ret-1")):
        assert 3500 < await redis.ttl(key) <= 3600, key
    await redis.expire(keys.conversation("ret-1"), 10)
    await store.append("ret-1", {"speaker": "bot", "text": "hello"})  # activity: back to full
    assert await redis.ttl(keys.conversation("ret-1")) > 3500
    await redis.close()


async def test_the_activity_index_forgets_expired_conversations(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    old = ConversationStore(redis, retention_s=3600)
    await old.append("ret-old", {"speaker": "shopper", "text": "hi"})
    await redis.zadd(keys.CONVERSATIONS, {"ret-old": time.time() - 7200})
    await old.append("ret-new", {"speaker": "shopper", "text": "hi"})
    members = {m.decode() for m in await redis.zrange(keys.CONVERSATIONS, 0, -1)}
    assert "ret-new" in members and "ret-old" not in members
    await redis.close()


async def test_cases_are_kept_for_years(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    case_id = await CaseWriter(redis).record(
        Case(conversation_id="ret-c", issue_type="damaged_item", resolution="reship",
             resolved_by="lena")
    )  # fmt: skip
    assert await redis.ttl(keys.case(case_id)) > 1000 * 86400
    await redis.close()


def _sets(info: dict) -> int:  # type: ignore[type-arg]
    return int((info.get("cmdstat_set") or {}).get("calls", 0))


async def test_the_order_index_is_written_once_per_order_and_conversation(
    redis_url: str,
) -> None:
    """Every turn of a verified chat carries its order_id in the meta; the order ->
    conversation index (where notices go) is written on the first of them only."""
    redis = Redis.from_url(redis_url)
    store = ConversationStore(redis, retention_s=3600)
    await redis.config_resetstat()
    for n in range(5):
        await store.append_many(
            "idx-1", [{"speaker": "shopper", "text": f"turn {n}"}], meta={"order_id": "XB-100001"}
        )
    assert _sets(await redis.info("commandstats")) == 1
    assert await redis.get(keys.order_conversation("XB-100001")) == b"idx-1"
    assert 3500 < await redis.ttl(keys.order_conversation("XB-100001")) <= 3600
    # a second order in the same chat, and the first order in another chat: one write each
    await store.append_many(
        "idx-1", [{"speaker": "bot", "text": "ok"}], meta={"order_id": "XB-100002"}
    )
    await store.append_many(
        "idx-2", [{"speaker": "bot", "text": "ok"}], meta={"order_id": "XB-100001"}
    )
    await store.append_many(
        "idx-2", [{"speaker": "bot", "text": "ok"}], meta={"order_id": "XB-100001"}
    )
    assert _sets(await redis.info("commandstats")) == 3
    assert await redis.get(keys.order_conversation("XB-100002")) == b"idx-1"
    assert await redis.get(keys.order_conversation("XB-100001")) == b"idx-2"
    # the index expired while the chat went on: written again
    await redis.delete(keys.order_conversation("XB-100001"))
    await store.append_many(
        "idx-2", [{"speaker": "bot", "text": "ok"}], meta={"order_id": "XB-100001"}
    )
    assert await redis.get(keys.order_conversation("XB-100001")) == b"idx-2"
    await redis.close()
