"""When the bot can't answer (Rasa down, slow or erroring, the action server gone), the
shopper is told so in their language and the chat is queued for a person (bot_failure).

Rasa is stood in for by a local HTTP server (unit level); the real-process versions of these
faults are in tests/stack/test_faults.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis

from bot import copy
from handoff.conversations.pipeline import Conversations
from handoff.conversations.store import ConversationStore
from handoff.conversations.text import clean_text
from handoff.rasa_client import RasaClient, RasaUnavailable
from handoff.routing.queue import HandoffStore


class FakeRasa:
    """Answers /webhooks/rest/webhook as told: ok, error, slow or empty (action server gone)."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.action_server_up = True
        self.calls = 0

    async def webhook(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        if self.mode == "error":
            return web.Response(status=500, text="boom")
        if self.mode == "slow":
            await asyncio.sleep(2)
        if self.mode == "empty":
            return web.json_response([])
        return web.json_response([{"text": "Your parcel is in Leipzig."}])

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({}, status=200 if self.action_server_up else 503)


@pytest.fixture
async def setup(redis_url: str) -> AsyncIterator[tuple[FakeRasa, Conversations, Redis]]:
    fake = FakeRasa()
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", fake.webhook)
    app.router.add_get("/health", fake.health)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}"
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    session = aiohttp.ClientSession()
    rasa = RasaClient(session, url, url, timeout_s=0.5)
    store = ConversationStore(redis)
    yield fake, Conversations(store, rasa, handoff=HandoffStore(redis)), redis
    await session.close()
    await redis.close()
    await runner.cleanup()


async def ask(conversations: Conversations, conv_id: str, text: str) -> dict[str, Any]:
    return await conversations.shopper_message(conv_id, clean_text(text, 5000), {"locale": "de-DE"})


async def ask_with_id(
    conversations: Conversations, conv_id: str, text: str, client_id: str
) -> dict[str, Any]:
    return await conversations.shopper_message(
        conv_id, clean_text(text, 5000), {"locale": "de-DE"}, client_id
    )


@pytest.mark.parametrize("mode", ["error", "slow", "empty"])
async def test_bot_trouble_is_told_in_the_shoppers_language_and_queued(
    setup: tuple[FakeRasa, Conversations, Redis], mode: str
) -> None:
    fake, conversations, redis = setup
    fake.mode = mode
    fake.action_server_up = mode != "empty"
    result = await ask(conversations, f"deg-{mode}", "Wo ist mein Paket? Bestellung XB-204518")
    assert result["degraded"] is True
    assert result["language"] == "de"
    assert result["replies"][0]["text"] == copy.render("bot_down", "de")
    assert result["mode"] == "queued"
    assert result["escalation"]["reasons"][0]["code"] == "bot_failure"
    queued = await HandoffStore(redis).queued()
    assert [q["conversation_id"] for q in queued] == [f"deg-{mode}"]


async def test_empty_reply_with_a_healthy_action_server_is_not_an_outage(
    setup: tuple[FakeRasa, Conversations, Redis],
) -> None:
    fake, conversations, _ = setup
    fake.mode = "empty"
    result = await ask(conversations, "deg-quiet", "ok")
    assert result["degraded"] is False and result["mode"] == "bot"


async def test_a_healthy_bot_answers_normally(
    setup: tuple[FakeRasa, Conversations, Redis],
) -> None:
    _, conversations, _ = setup
    result = await ask(conversations, "deg-fine", "Wo ist mein Paket?")
    assert result["replies"] == [{"text": "Your parcel is in Leipzig."}]
    assert result["mode"] == "bot" and not result["degraded"]


async def test_a_timeout_is_rasa_unavailable_not_a_crash(
    setup: tuple[FakeRasa, Conversations, Redis],
) -> None:
    fake, conversations, _ = setup
    fake.mode = "slow"
    with pytest.raises(RasaUnavailable):
        await conversations.rasa.send("deg-timeout", "hello", {})
