"""Tracker rotation: after ROTATE_AFTER_TURNS events a conversation talks to a fresh Rasa
tracker that starts with the old one's slots (Rasa stood in for by a local HTTP server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis

from handoff.conversations import rasa_turn as trackers
from handoff.conversations.pipeline import Conversations
from handoff.conversations.store import ConversationStore
from handoff.conversations.text import clean_text
from handoff.rasa_client import RasaClient
from handoff.routing.queue import HandoffStore


class TrackerRasa:
    def __init__(self) -> None:
        self.slots: dict[str, dict[str, Any]] = {}
        self.senders: list[str] = []

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.senders.append(body["sender"])
        if body["sender"] == "rot-conv-1":  # only the first tracker learns it from the chat
            self.slots.setdefault(body["sender"], {})["verified_order"] = "XB-204518"
        return web.json_response([{"text": "ok"}])

    async def tracker(self, request: web.Request) -> web.Response:
        return web.json_response({"slots": self.slots.get(request.match_info["sender"], {})})

    async def events(self, request: web.Request) -> web.Response:
        sender = request.match_info["sender"]
        for event in await request.json():
            self.slots.setdefault(sender, {})[event["name"]] = event["value"]
        return web.json_response({})


@pytest.fixture
async def world(redis_url: str) -> AsyncIterator[tuple[TrackerRasa, Conversations]]:
    fake = TrackerRasa()
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", fake.webhook)
    app.router.add_get("/conversations/{sender}/tracker", fake.tracker)
    app.router.add_post("/conversations/{sender}/tracker/events", fake.events)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    session = aiohttp.ClientSession()
    conversations = Conversations(
        ConversationStore(redis), RasaClient(session, url, url, 2), handoff=HandoffStore(redis)
    )
    yield fake, conversations
    await session.close()
    await redis.close()
    await runner.cleanup()


async def test_long_conversations_move_to_a_fresh_tracker_with_their_slots(
    world: tuple[TrackerRasa, Conversations], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, conversations = world
    monkeypatch.setattr(trackers, "ROTATE_AFTER_TURNS", 5)
    for i in range(12):
        await conversations.shopper_message("rot-conv-1", clean_text(f"hello {i}", 100), {})
    first = fake.senders[0]
    assert first == "rot-conv-1" and fake.senders[:5] == [first] * 5
    assert len(set(fake.senders)) == 3  # turns 1-5, 6-10, 11-12
    second = fake.senders[5]
    assert second.startswith("rot-conv-1~") and fake.senders[5:10] == [second] * 5
    assert fake.slots[second]["verified_order"] == "XB-204518"  # carried over
    assert fake.slots[fake.senders[-1]]["verified_order"] == "XB-204518"  # and again
    conv = await conversations.store.get("rot-conv-1")
    assert conv.rasa_sender == fake.senders[-1] and conv.rasa_turns == 2
