"""Proactive notices for shoppers without a chat, sent by email (`keys.NOTICE_OUTBOX`).

The notice watcher (handoff.notices) queues them; every gateway runs this sender and BLPOP
hands each notice to exactly one of them. A notice that could not be sent goes back to the
queue and is tried again after a pause; one without an address is dropped with a log line.
"""

from __future__ import annotations

import asyncio
import json
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from handoff import keys
from handoff.channels.email.outbound import Mailer, compose
from handoff.settings import Settings

LOG = logging.getLogger("handoff.channels.email")


async def send_one(redis: Redis, mailer: Mailer, settings: Settings, wait_s: float = 5.0) -> bool:
    """Send the oldest queued notice; False when there was none or it must wait."""
    popped = await redis.blpop(keys.NOTICE_OUTBOX, timeout=wait_s)
    if popped is None:
        return False
    raw = popped[1]
    notice = json.loads(raw)
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
    try:
        sent = await mailer.send(msg)
    except (OSError, ValueError):
        sent = False
    if not sent:
        await redis.lpush(keys.NOTICE_OUTBOX, raw)  # back at the front: tried again later
        return False
    LOG.info("notice_emailed", extra={"notice_id": notice.get("notice_id")})
    return True


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
