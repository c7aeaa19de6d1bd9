"""The action server's after-sales facts on the shared events stream (`SyncEventBus`).

What the bot settles by itself is reported here for the review loop: a remedy offered and
accepted (with its amount), a refund, a return started, a conversation resolved by the bot.
Without `REDIS_URL` (unit tests, a bare action server) nothing is sent; a Redis error is
logged and the reply goes out anyway.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import redis

from handoff.cases.events import SyncEventBus


@lru_cache(maxsize=1)
def bus() -> SyncEventBus | None:
    url = os.environ.get("REDIS_URL")
    return SyncEventBus(redis.Redis.from_url(url)) if url else None


def emit(kind: str, conversation_id: str | None, /, **data: Any) -> bool:
    """Sends one event; False when it was not recorded (no Redis configured, or Redis down).

    `kind` and the conversation are positional-only: an event's data may hold a `kind` too.
    """
    target = bus()
    return target.emit_quietly(kind, conversation_id, **data) if target is not None else False
