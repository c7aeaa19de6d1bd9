"""CSAT on the real stack: an agent closes a chat, the shopper's socket gets the prompt, a
rating of 2 puts the chat back in the queue with reason `sentiment`, and the answer is an
event on the after-sales stream."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import pytest
import redis

from handoff import keys
from handoff.cases.events import Event
from tests.conftest import say
from tests.support import shopper as shopper_tokens
from tests.support.agentclient import AgentClient, SocketReader

pytestmark = pytest.mark.stack


class Shopper(SocketReader):
    name = "shopper"

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []


def test_close_asks_csat_and_a_low_rating_reopens_for_a_lead(stack: Any) -> None:
    conv_id = "s" + uuid.uuid4().hex[:16]

    async def run() -> None:
        async with aiohttp.ClientSession() as s:
            base = stack.gateway_url
            lena = await AgentClient(s, base, "lena", "demo-lena-2026").connect()
            await lena.call(type="status", status="available")
            await say(s, base, conv_id, "I want to speak to a human agent")
            await lena.expect(
                lambda m: (
                    m["type"] == "queue"
                    and any(i["conversation_id"] == conv_id for i in m["items"])
                )
            )
            assert (await lena.call(type="claim", conversation_id=conv_id))["type"] == "ok"
            ws = await s.ws_connect(shopper_tokens.ws_url(base, conv_id))
            shopper = Shopper(ws)
            await shopper.expect(lambda m: m["type"] == "hello")

            # not the shopper's: refused without the conversation's token
            async with s.post(f"{base}/api/conversations/{conv_id}/csat", json={"rating": 4}) as r:
                assert r.status == 403
            # not asked yet: the endpoint refuses
            async with s.post(
                f"{base}/api/conversations/{conv_id}/csat",
                json={"rating": 4},
                headers=shopper_tokens.headers(conv_id),
            ) as r:
                assert r.status == 409
            closed = await lena.call(
                type="close", conversation_id=conv_id, resolution="answered", issue_type="other"
            )
            assert closed["type"] == "ok", closed
            prompt = await shopper.expect(lambda m: m["type"] == "csat")
            assert prompt["conversation_id"] == conv_id
            # a shopper who comes back before answering is asked on the next visit
            again = Shopper(await s.ws_connect(shopper_tokens.ws_url(base, conv_id)))
            await again.expect(lambda m: m["type"] == "csat")
            assert again.ws is not None
            await again.ws.close()
            async with s.post(
                f"{base}/api/conversations/{conv_id}/csat",
                json={"rating": 9},
                headers=shopper_tokens.headers(conv_id),
            ) as r:
                assert r.status == 400
            async with s.post(
                f"{base}/api/conversations/{conv_id}/csat",
                json={"rating": 2, "comment": "It took far too long."},
                headers=shopper_tokens.headers(conv_id),
            ) as r:
                assert r.status == 200, await r.text()
                assert (await r.json())["reopened"] is True
            async with s.post(
                f"{base}/api/conversations/{conv_id}/csat",
                json={"rating": 5},
                headers=shopper_tokens.headers(conv_id),
            ) as r:
                assert r.status == 409  # once per close
            async with s.post(
                f"{base}/api/conversations/nope-unknown/csat", json={"rating": 5}
            ) as r:
                assert r.status == 404
            await shopper.expect(lambda m: m["type"] == "mode" and m["mode"] == "queued")
            queue = await (
                await s.get(
                    f"{base}/api/agent/queue", headers={"Authorization": f"Bearer {lena.token}"}
                )
            ).json()
            item = next(i for i in queue["items"] if i["conversation_id"] == conv_id)
            assert [r["code"] for r in item["reasons"]] == ["sentiment"], item
            # for a lead: lena (who closed it) may not take it; nora (lead role only) may
            assert item["team"] == "leads" and item["claimable"] is False, item
            refused = await lena.call(type="claim", conversation_id=conv_id)
            assert refused["type"] == "error", refused
            nora = await AgentClient(s, base, "nora", "demo-nora-2026").connect()
            assert (await nora.call(type="claim", conversation_id=conv_id))["type"] == "ok"
            await nora.close()
            await ws.close()
            await lena.close()

    asyncio.run(run())
    sync = redis.Redis.from_url(stack.redis_url)
    try:
        found = [
            Event.from_json(f[b"event"])
            for _, f in sync.xrange(keys.EVENTS_STREAM)
            if Event.from_json(f[b"event"]).conversation_id == conv_id
        ]
    finally:
        sync.close()
    answered = [e for e in found if e.kind == "csat_answered"]
    assert [e.kind for e in found if e.kind.startswith("csat")] == ["csat_asked", "csat_answered"]
    assert answered[0].data["rating"] == 2 and answered[0].data["agent"] == "lena"
