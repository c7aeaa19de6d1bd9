"""Proactive notices for shoppers without a chat, sent by email (`keys.NOTICE_OUTBOX`).

The notice watcher (handoff.notices) queues them; every gateway runs this sender and BLPOP
hands each notice to exactly one of them. A notice that could not be sent waits in
`keys.NOTICE_RETRY` with exponential backoff and is tried again; after `MAX_ATTEMPTS`
failures it moves to the dead-letter list `keys.NOTICE_DEAD` (logged as an error, counted in
/healthz, listed for admins at /api/admin/notices/dead). One without an address is dropped
with a log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Final

from redis.asyncio import Redis
from redis.exceptions import RedisError

from handoff import keys
from handoff.channels.email.outbound import Mailer, compose
from handoff.settings import Settings

LOG = logging.getLogger("handoff.channels.email")

MAX_ATTEMPTS: Final = 6  # 30 s, 1, 2, 4, 8 min apart: about a quarter of an hour in all
BACKOFF_S: Final = 30.0
BACKOFF_CAP_S: Final = 3600.0
DEAD_KEPT: Final = 1000

# Move the retries that are due back to the outbox (atomically: each moves once).
# KEYS: retry zset, outbox list; ARGV: now
_MOVE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, raw in ipairs(due) do
  redis.call('ZREM', KEYS[1], raw)
  redis.call('RPUSH', KEYS[2], raw)
end
return #due
"""


def backoff_s(attempts: int, base_s: float = BACKOFF_S) -> float:
    """The pause after the `attempts`-th failure: base, 2 x base, 4 x base, ... capped."""
    return float(min(base_s * 2 ** max(0, attempts - 1), BACKOFF_CAP_S))


async def failed(
    redis: Redis, notice: dict[str, Any], error: str, now: float, base_s: float = BACKOFF_S
) -> str:
    """Record one failed send: "retry" (waits in NOTICE_RETRY) or "dead" (given up)."""
    attempts = int(notice.get("attempts") or 0) + 1
    notice = {**notice, "attempts": attempts, "last_error": error[:300]}
    if attempts >= MAX_ATTEMPTS:
        dead = json.dumps({**notice, "dead_at": round(now, 3)}, ensure_ascii=False)
        async with redis.pipeline(transaction=True) as pipe:
            pipe.rpush(keys.NOTICE_DEAD, dead)
            pipe.ltrim(keys.NOTICE_DEAD, -DEAD_KEPT, -1)
            await pipe.execute()
        LOG.error(
            "notice_dead_lettered",
            extra={"notice_id": notice.get("notice_id"), "attempts": attempts, "error": error},
        )
        return "dead"
    due = now + backoff_s(attempts, base_s)
    await redis.zadd(keys.NOTICE_RETRY, {json.dumps(notice, ensure_ascii=False): due})
    LOG.warning(
        "notice_send_failed",
        extra={"notice_id": notice.get("notice_id"), "attempts": attempts,
               "retry_in_s": round(due - now, 1), "error": error},
    )  # fmt: skip
    return "retry"


async def send_one(
    redis: Redis,
    mailer: Mailer,
    settings: Settings,
    wait_s: float = 5.0,
    now: float | None = None,
    base_s: float = BACKOFF_S,
) -> bool:
    """Send the oldest queued notice; False when there was none or it failed."""
    now = time.time() if now is None else now
    await redis.register_script(_MOVE_DUE)(keys=[keys.NOTICE_RETRY, keys.NOTICE_OUTBOX], args=[now])
    popped = await redis.blpop(keys.NOTICE_OUTBOX, timeout=wait_s)
    if popped is None:
        return False
    notice = json.loads(popped[1])
    if not notice.get("to"):
        LOG.warning("notice_without_address", extra={"notice_id": notice.get("notice_id")})
        return True
    msg = compose(
        sender=settings.email_from,
        to=str(notice["to"]),
        subject=str(notice["subject"]),
        paragraphs=[str(notice["text"])],
        lang=str(notice.get("language") or "en"),
        domain=settings.email_domain,
        automatic=True,
    )
    error = "the mailer did not send it"
    try:
        sent = await mailer.send(msg)
    except (OSError, ValueError) as exc:  # smtplib errors are OSErrors
        sent, error = False, repr(exc)
    if not sent:
        await failed(redis, notice, error, now, base_s)
        return False
    LOG.info("notice_emailed", extra={"notice_id": notice.get("notice_id")})
    return True


async def counts(redis: Redis) -> dict[str, int]:
    """How many notices wait, wait for a retry, and were given up on (for /healthz)."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.llen(keys.NOTICE_OUTBOX)
        pipe.zcard(keys.NOTICE_RETRY)
        pipe.llen(keys.NOTICE_DEAD)
        outbox, retrying, dead = await pipe.execute()
    return {"outbox": int(outbox), "retrying": int(retrying), "dead": int(dead)}


async def dead_letters(redis: Redis, limit: int = 100) -> list[dict[str, Any]]:
    return [json.loads(x) for x in await redis.lrange(keys.NOTICE_DEAD, -limit, -1)]


async def send_forever(redis: Redis, mailer: Mailer, settings: Settings) -> None:
    if not mailer.enabled:
        return  # no SMTP configured: notices wait in the queue
    while True:
        try:
            if not await send_one(redis, mailer, settings):
                await asyncio.sleep(1.0)
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError):
            await asyncio.sleep(2.0)
