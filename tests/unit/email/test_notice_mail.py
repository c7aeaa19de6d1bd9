"""Proactive notices for shoppers without a chat go out by email: once, over real SMTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis

from handoff import keys
from handoff.channels.email.notices import send_one
from handoff.channels.email.outbound import Mailer
from handoff.settings import Settings
from tests.support.smtp_relay import SmtpRelay


@pytest.fixture
def relay() -> Iterator[SmtpRelay]:
    server = SmtpRelay().start()
    yield server
    server.stop()


async def test_a_queued_notice_is_mailed_once_in_the_shoppers_language(
    redis_url: str, relay: SmtpRelay
) -> None:
    redis = Redis.from_url(redis_url)
    await redis.delete(keys.NOTICE_OUTBOX)
    notice = {
        "notice_id": "XB-1:stalled:1",
        "order_id": "XB-1",
        "kind": "stalled",
        "language": "de",
        "to": "kunde@example.org",
        "subject": "Information zu Ihrer Bestellung XB-1",
        "text": "Information zu Ihrer Bestellung XB-1: Die Sendungsverfolgung zeigt …",
    }
    await redis.rpush(keys.NOTICE_OUTBOX, json.dumps(notice))
    settings = Settings(smtp_url=relay.url)
    mailer = Mailer(relay.url)
    senders = [send_one(redis, mailer, settings, wait_s=1) for _ in range(2)]  # two gateways
    assert sorted(await asyncio.gather(*senders)) == [False, True]
    mail = await asyncio.to_thread(relay.wait_for, lambda m: "XB-1" in str(m["Subject"]))
    assert str(mail["To"]) == "kunde@example.org" and mail["Content-Language"] == "de"
    assert mail["Auto-Submitted"]  # a robot wrote it: auto-responders must not answer
    assert len(relay.to("kunde@example.org")) == 1
    assert await redis.llen(keys.NOTICE_OUTBOX) == 0
    await redis.close()


async def test_a_notice_that_cannot_be_sent_waits_in_the_queue(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    await redis.delete(keys.NOTICE_OUTBOX)
    await redis.rpush(keys.NOTICE_OUTBOX, json.dumps({"to": "a@example.org", "subject": "s",
                                                      "text": "t", "language": "en"}))  # fmt: skip
    dead = "smtp://127.0.0.1:9"  # nothing listens there
    assert await send_one(redis, Mailer(dead), Settings(smtp_url=dead), wait_s=1) is False
    assert await redis.llen(keys.NOTICE_OUTBOX) == 1
    await redis.close()
