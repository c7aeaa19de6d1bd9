"""The after-sales event bus: one JSON entry per fact, on a real Redis stream."""

from __future__ import annotations

import pytest
import redis
from redis.asyncio import Redis

from handoff import keys
from handoff.cases.events import Event, EventBus, SyncEventBus


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown event kind"):
        Event("nonsense", "c1")


def test_round_trip_keeps_id_time_and_unicode() -> None:
    event = Event("csat_answered", "c1", {"rating": 2, "comment": "très lent 😡"}, at=12.5)
    back = Event.from_json(event.to_json())
    assert back == event
    assert "très" in event.to_json()  # stored readable, not \\u-escaped


async def test_gateway_and_action_server_write_the_same_stream(redis_url: str) -> None:
    sync = redis.Redis.from_url(redis_url)
    sync.delete(keys.EVENTS_STREAM)
    aio = Redis.from_url(redis_url)
    try:
        await EventBus(aio).emit(Event("queued", "c1", {"priority": "high"}))
        SyncEventBus(sync).emit(Event("refund", "c1", {"amount": 12.0, "currency": "EUR"}))
        entries = sync.xrange(keys.EVENTS_STREAM)
        kinds = [Event.from_json(fields[b"event"]).kind for _, fields in entries]
        assert kinds == ["queued", "refund"]
    finally:
        await aio.close()
        sync.close()
