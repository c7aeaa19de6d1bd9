"""End to end on the real stack: Redis, Rasa server, action server, gateway."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp
import pytest

from bot.copy import Fmt
from tests.conftest import order_where, say
from tests.support import shopper

pytestmark = pytest.mark.stack


def transcript_url(stack: Any, conv_id: str) -> str:
    return f"{stack.gateway_url}/api/conversations/{conv_id}"


def conv() -> str:
    return "t" + uuid.uuid4().hex[:16]


def joined(result: dict) -> str:
    return "\n".join(r["text"] for r in result["replies"])


def test_tracking_conversation_over_rest(stack, store) -> None:
    order = order_where(store, "in_transit", status="shipped")

    async def run() -> None:
        async with aiohttp.ClientSession() as s:
            c = conv()
            first = await say(s, stack.gateway_url, c, "hi, where is my parcel??")
            assert first["language"] == "en" and first["mode"] == "bot"
            assert "order number" in joined(first)
            assert first["escalation"]["escalate"] is False
            second = await say(s, stack.gateway_url, c, f"it's {order.order_id}")
            assert order.email not in joined(second) and "email" in joined(second)
            third = await say(s, stack.gateway_url, c, f"my email is {order.email}")
            reply = joined(third)
            last = order.shipment.events[-1]
            assert order.shipment.carrier in reply
            assert order.shipment.tracking_number in reply
            assert last.place in reply
            assert Fmt("en", order.country).date(last.at) in reply
            async with s.get(
                f"{stack.gateway_url}/api/conversations/{c}", headers=shopper.headers(c)
            ) as resp:
                transcript = (await resp.json())["transcript"]
            speakers = [e["speaker"] for e in transcript]
            assert speakers.count("shopper") == 3 and speakers.count("bot") >= 3
            assert [e["seq"] for e in transcript] == sorted(e["seq"] for e in transcript)
            assert any(e.get("intent") == "inform" for e in transcript)

    asyncio.run(run())


def test_tracking_conversation_over_websocket(stack, store) -> None:
    order = order_where(store, "customs_hold")

    async def run() -> None:
        c = conv()
        url = shopper.ws_url(stack.gateway_url, c)
        async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
            hello = await ws.receive_json(timeout=5)
            assert hello["type"] == "hello"
            await ws.send_json(
                {"type": "message", "text": f"where is order {order.order_id}? {order.email}"}
            )
            bot_texts: list[str] = []
            state = None
            while state is None:
                msg = await ws.receive_json(timeout=30)
                if msg["type"] == "entry" and msg["entry"]["speaker"] == "bot":
                    bot_texts.append(msg["entry"]["text"])
                elif msg["type"] == "state":
                    state = msg
            # entries published before the state frame may still be in flight
            try:
                while True:
                    msg = await ws.receive_json(timeout=0.5)
                    if msg["type"] == "entry" and msg["entry"]["speaker"] == "bot":
                        bot_texts.append(msg["entry"]["text"])
            except asyncio.TimeoutError:
                pass
            reply = "\n".join(bot_texts)
            assert "held by customs" in reply
            assert order.shipment.events[-1].place in reply

    asyncio.run(run())


@pytest.mark.parametrize(
    "body,status,code",
    [
        (b'{"text": ""}', 400, "empty_text"),
        (b'{"text": "   "}', 400, "empty_text"),
        (json.dumps({"text": "x" * 5001}).encode(), 413, "text_too_long"),
        (b'{"text": "hi"', 400, "bad_json"),
        (b"\xff\xfe\x00garbage", 400, "bad_encoding"),
        (b'["text"]', 400, "bad_json"),
        (b'{"text": 42}', 400, "bad_text"),
        (b'{"text": "<b></b>"}', 400, "empty_text"),
    ],
)
def test_bad_input_gets_clear_json_errors(stack, body, status, code) -> None:
    async def run() -> None:
        async with aiohttp.ClientSession() as s:
            async with s.post(
                f"{stack.gateway_url}/api/conversations/{conv()}/messages",
                data=body,
                headers={"Content-Type": "application/json"},
            ) as r:
                assert r.status == status
                payload = await r.json()
                assert payload["error"]["code"] == code
                assert "Traceback" not in json.dumps(payload)

    asyncio.run(run())


def test_bad_conversation_ids_and_unknown_conversations(stack) -> None:
    async def run() -> None:
        async with aiohttp.ClientSession() as s:
            async with s.post(
                f"{stack.gateway_url}/api/conversations/a%20b/messages", json={"text": "hi"}
            ) as r:
                assert r.status == 400
                assert (await r.json())["error"]["code"] == "bad_conversation_id"
            unknown = f"{stack.gateway_url}/api/conversations/{conv()}"
            async with s.get(unknown, headers={shopper.HEADER: "t"}) as r:
                assert r.status == 404
                assert (await r.json())["error"]["code"] == "unknown_conversation"

    asyncio.run(run())


def test_markup_emoji_and_mixed_scripts_get_polite_replies_and_are_kept(stack) -> None:
    texts = [
        "<script>alert('x')</script> where is my order",
        "😡😡😡",
        "my order XB-204518 まだ届かない!!",
        "A" * 5000,
    ]

    async def run() -> None:
        async with aiohttp.ClientSession() as s:
            c = conv()
            for text in texts:
                result = await say(s, stack.gateway_url, c, text)
                assert result["replies"] and all(r["text"] for r in result["replies"])
            async with s.get(
                f"{stack.gateway_url}/api/conversations/{c}", headers=shopper.headers(c)
            ) as resp:
                transcript = (await resp.json())["transcript"]
            said = [e["text"] for e in transcript if e["speaker"] == "shopper"]
            assert said == texts  # kept verbatim; the pages escape it

    asyncio.run(run())


def test_analyze_and_health(stack) -> None:
    async def run() -> None:
        async with aiohttp.ClientSession() as s:
            async with s.post(
                f"{stack.gateway_url}/api/analyze", json={"text": "where is my order XB-204518"}
            ) as r:
                data = await r.json()
            assert data["intent"] == "track_order"
            assert data["intent_ranking"][0]["name"] == "track_order"
            assert {"entity": "order_id", "value": "XB-204518"}.items() <= data["entities"][
                0
            ].items()
            assert data["language"] == "en" and data["escalation"]["escalate"] is False
            async with s.get(f"{stack.gateway_url}/healthz") as r:
                health = await r.json()
            assert r.status == 200 and health["redis"]["ok"] and health["rasa"]["ok"]
            assert health["action_server"]["ok"]

    asyncio.run(run())


def test_every_message_is_scored_and_a_person_request_queues(stack) -> None:
    async def run() -> None:
        async with aiohttp.ClientSession() as s:
            fraud = await say(s, stack.gateway_url, conv(), "Das ist Betrug!")
            assert fraud["language"] == "de"
            assert fraud["escalation"]["escalate"] is True
            assert "fraud" in [r["code"] for r in fraud["escalation"]["reasons"]]
            calm = await say(s, stack.gateway_url, conv(), "no worries, I can wait")
            assert calm["escalation"]["escalate"] is False and calm["mode"] == "bot"
            c = conv()
            human = await say(s, stack.gateway_url, c, "I want to talk to a real person")
            assert human["mode"] == "queued"
            assert human["escalation"]["reasons"][0]["code"] == "human"
            async with s.post(
                f"{stack.gateway_url}/api/analyze",
                json={"text": "I'm opening a PayPal dispute", "context": {"order_value": 2000}},
            ) as r:
                data = await r.json()
            assert data["escalation"]["priority"] == "urgent"
            assert {"dispute"} <= {x["code"] for x in data["escalation"]["reasons"]}
            assert -1.0 <= data["sentiment"] <= 1.0

    asyncio.run(run())
