"""The email channel hears agent replies through the gateway's socket hub: one pub/sub
subscription per gateway (not a second reconnect loop of its own), and an agent's entry in
an email conversation still goes out as one email in the thread. Real app, Redis, SMTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from handoff.channels.email.threads import Threads
from handoff.settings import Settings
from handoff.web import appkeys as K
from handoff.web.app import create_app
from tests.support.smtp_relay import SmtpRelay


@pytest.fixture
def relay() -> Iterator[SmtpRelay]:
    server = SmtpRelay().start()
    yield server
    server.stop()


async def pubsub_clients(redis: Redis) -> int:
    return len(await redis.client_list(_type="pubsub"))


async def test_agent_replies_reach_the_email_thread_through_the_hub(
    redis_url: str, relay: SmtpRelay
) -> None:
    redis = Redis.from_url(redis_url)
    before = await pubsub_clients(redis)
    settings = Settings(
        redis_url=redis_url,
        smtp_url=relay.url,
        rasa_url="http://127.0.0.1:9",
        action_server_url="http://127.0.0.1:9",
        rasa_timeout_s=0.5,
        notices_every_s=0,
    )
    client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    try:
        app = client.server.app
        deadline = time.monotonic() + 10
        while not app[K.SOCKETS].listening:
            assert time.monotonic() < deadline, "the hub never subscribed"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # a second subscriber, if any, has connected by now
        assert await pubsub_clients(redis) - before == 1
        assert len(app[K.SOCKETS].entry_listeners) == 1

        await Threads(redis, 3600).open(
            "em-hubtest", "shopper@example.org", "My order", "m1@mail.example.net", ()
        )
        store = app[K.STORE]
        await store.append("em-hubtest", {"speaker": "shopper", "text": "hello"})
        await store.append(
            "em-hubtest",
            {"speaker": "agent", "text": "Your parcel left our warehouse today.",
             "language": "en"},
        )  # fmt: skip
        await store.append("em-chat-only", {"speaker": "agent", "text": "not a mail thread"})
        mail = await asyncio.to_thread(
            relay.wait_for, lambda m: "warehouse" in m.get_body(("plain",)).get_content(), 20
        )
        assert str(mail["To"]) == "shopper@example.org"
        assert str(mail["In-Reply-To"]) == "<m1@mail.example.net>"
        await asyncio.sleep(0.5)
        assert len(relay.messages) == 1  # once, and nothing for the chat-only conversation
    finally:
        await client.close()
        await redis.close()
