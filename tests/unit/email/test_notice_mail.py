"""Proactive notices for shoppers without a chat go out by email: once, over real SMTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis

from handoff import keys
from handoff.channels.email.notices import MAX_ATTEMPTS, counts, dead_letters, send_one
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


async def test_a_notice_that_keeps_failing_backs_off_then_goes_to_the_dead_letters(
    redis_url: str, relay: SmtpRelay
) -> None:
    """Nothing listens on the SMTP port: each failure waits twice as long as the one
    before; after MAX_ATTEMPTS the notice is dead-lettered, not tried forever. Then a
    notice behind it goes out through a working relay."""
    redis = Redis.from_url(redis_url)
    await redis.delete(keys.NOTICE_OUTBOX, keys.NOTICE_RETRY, keys.NOTICE_DEAD)
    await redis.rpush(keys.NOTICE_OUTBOX, json.dumps({"notice_id": "XB-9:stalled:1",
                                                      "to": "a@example.org", "subject": "s",
                                                      "text": "t", "language": "en"}))  # fmt: skip
    dead = "smtp://127.0.0.1:9"  # nothing listens there
    mailer, settings = Mailer(dead), Settings(smtp_url=dead)
    now, waits = 1000.0, []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await send_one(redis, mailer, settings, wait_s=0.1, now=now, base_s=10) is False
        if attempt < MAX_ATTEMPTS:
            [(raw, due)] = await redis.zrange(keys.NOTICE_RETRY, 0, -1, withscores=True)
            assert json.loads(raw)["attempts"] == attempt
            waits.append(due - now)
            # not due yet: nothing is tried
            assert await send_one(redis, mailer, settings, wait_s=0.1, now=due - 1) is False
            assert await redis.zcard(keys.NOTICE_RETRY) == 1
            now = due
    assert waits == [10, 20, 40, 80, 160]
    assert await redis.zcard(keys.NOTICE_RETRY) == 0 and await redis.llen(keys.NOTICE_OUTBOX) == 0
    [letter] = await dead_letters(redis)
    assert letter["notice_id"] == "XB-9:stalled:1" and letter["attempts"] == MAX_ATTEMPTS
    assert "ConnectionRefused" in letter["last_error"]
    assert await counts(redis) == {"outbox": 0, "retrying": 0, "dead": 1}
    # given up on: later passes leave it alone
    assert await send_one(redis, mailer, settings, wait_s=0.1, now=now + 10**6) is False
    assert len(await dead_letters(redis)) == 1
    await redis.rpush(keys.NOTICE_OUTBOX, json.dumps({"notice_id": "XB-8:stalled:1",
                                                      "to": "b@example.org", "subject": "XB-8",
                                                      "text": "t", "language": "en"}))  # fmt: skip
    good = Mailer(relay.url)
    assert await send_one(redis, good, Settings(smtp_url=relay.url), wait_s=1) is True
    await asyncio.to_thread(relay.wait_for, lambda m: "XB-8" in str(m["Subject"]))
    await redis.close()


async def test_dead_letters_are_counted_in_healthz_and_listed_for_admins(
    redis_url: str,
) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from handoff.dev.gateway import dev_extras
    from handoff.web.app import create_app

    redis = Redis.from_url(redis_url)
    await redis.delete(keys.NOTICE_OUTBOX, keys.NOTICE_RETRY, keys.NOTICE_DEAD)
    await redis.rpush(keys.NOTICE_DEAD, json.dumps({"notice_id": "XB-7:customs_hold:1",
                                                    "attempts": MAX_ATTEMPTS}))  # fmt: skip
    settings = Settings(
        redis_url=redis_url,
        public_url="http://127.0.0.1:8080",
        demo_accounts=True,
        rasa_url="http://127.0.0.1:9",
        action_server_url="http://127.0.0.1:9",
        rasa_timeout_s=0.5,
    )
    client = TestClient(TestServer(create_app(settings, [dev_extras])))
    await client.start_server()
    try:
        health = await (await client.get("/healthz")).json()
        assert health["notices"] == {"ok": True, "outbox": 0, "retrying": 0, "dead": 1}
        assert (await client.get("/api/admin/notices/dead")).status == 401

        async def token(login: str, password: str) -> str:
            r = await client.post(
                "/api/auth/login",
                json={"login": login, "password": password},
                headers={"Origin": "http://127.0.0.1:8080"},
            )
            return str((await r.json())["token"])

        agent = {"Authorization": "Bearer " + await token("lena", "demo-lena-2026")}
        assert (await client.get("/api/admin/notices/dead", headers=agent)).status == 403
        admin = {"Authorization": "Bearer " + await token("admin", "demo-admin-2026")}
        listed = await (await client.get("/api/admin/notices/dead", headers=admin)).json()
        assert listed["count"] == 1
        assert [n["notice_id"] for n in listed["notices"]] == ["XB-7:customs_hold:1"]
    finally:
        await client.close()
        await redis.close()
