"""After-sales facts as append-only events on one Redis stream (`keys.EVENTS_STREAM`).

Every fact the review loop reports on is emitted here, by the gateway (asyncio) or the
action server (sync): a conversation started, an intent per shopper message, an escalation,
a claim, a close, a remedy, a CSAT answer... Each event carries its own id (`event_id`), so
a consumer that sees an entry twice (at-least-once delivery through a consumer group) can
store it once. `kind` is one of `KINDS`; `data` is a flat JSON object of that kind's facts.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

import redis
from redis.asyncio import Redis

from handoff import keys

KINDS: Final = (
    "conversation_started",  # data: channel, language, country?
    "intent",  # data: intent, confidence, language
    "escalated",  # data: reasons [codes], score, priority
    "queued",  # data: priority, reasons
    "claimed",  # data: agent, waited_s
    "first_human_reply",  # data: agent, first_response_s
    "closed",  # data: agent, issue_type, resolution, case_id?
    "handed_back",  # data: agent
    "bot_resolved",  # data: intent
    "return_started",  # data: order_id, sku
    "remedy_offered",  # data: order_id, remedy, amount, currency
    "remedy_accepted",  # data: order_id, remedy, amount, currency
    "refund",  # data: order_id, amount, currency
    "coupon_issued",  # data: order_id?, code, value, currency, tier
    "csat_asked",  # data: {}
    "csat_answered",  # data: rating 1-5, comment?
    "notice_sent",  # data: order_id, exception, channel
    "email_received",  # data: message_id, order_id?
    "email_sent",  # data: message_id, purpose
)
LOG = logging.getLogger(__name__)
MAX_STREAM_LEN: Final = 1_000_000  # approximate trim: consumers keep up long before this


@dataclass(frozen=True)
class Event:
    kind: str
    conversation_id: str | None
    data: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")

    def to_json(self) -> str:
        return json.dumps(
            {
                "event_id": self.event_id,
                "kind": self.kind,
                "conversation_id": self.conversation_id,
                "at": self.at,
                "data": self.data,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        obj = json.loads(raw)
        return cls(
            kind=obj["kind"],
            conversation_id=obj.get("conversation_id"),
            data=dict(obj.get("data") or {}),
            at=float(obj["at"]),
            event_id=str(obj["event_id"]),
        )


class EventBus:
    """The gateway's emitter (asyncio Redis)."""

    def __init__(self, redis_client: Redis) -> None:
        self.redis = redis_client

    async def emit(self, event: Event) -> str:
        entry = await self.redis.xadd(
            keys.EVENTS_STREAM, {"event": event.to_json()}, maxlen=MAX_STREAM_LEN, approximate=True
        )
        return entry.decode() if isinstance(entry, bytes) else str(entry)

    async def emit_quietly(self, kind: str, conversation_id: str | None, **data: Any) -> None:
        """For the chat path: a fact that cannot be recorded must never break a chat."""
        try:
            await self.emit(Event(kind, conversation_id, data))
        except Exception:  # noqa: BLE001
            LOG.warning("event_emit_failed", exc_info=True, extra={"kind": kind})


class SyncEventBus:
    """The action server's emitter (Rasa actions are synchronous)."""

    def __init__(self, redis_client: redis.Redis) -> None:
        self.redis = redis_client

    def emit(self, event: Event) -> str:
        entry = self.redis.xadd(
            keys.EVENTS_STREAM, {"event": event.to_json()}, maxlen=MAX_STREAM_LEN, approximate=True
        )
        return entry.decode() if isinstance(entry, bytes) else str(entry)

    def emit_quietly(self, kind: str, conversation_id: str | None, /, **data: Any) -> bool:
        """For the actions: a fact that cannot be recorded must never break a reply."""
        try:
            self.emit(Event(kind, conversation_id, data))
        except Exception:  # noqa: BLE001
            LOG.warning("event_emit_failed", exc_info=True, extra={"kind": kind})
            return False
        return True
