"""The conversation pipeline's shared fixtures: a local HTTP server standing in for Rasa
(unit level), a real Redis, and shortcuts to send a shopper message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis

from handoff.conversations.pipeline import Conversations
from handoff.conversations.store import ConversationStore
from handoff.conversations.text import clean_text
from handoff.rasa_client import RasaClient
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
