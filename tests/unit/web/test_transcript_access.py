"""A conversation is its shopper's: the token issued when it starts opens it, nothing else
does (staff read transcripts with their session). Real app, real Redis; Rasa is away, so
the bot's turn is the degraded reply - what matters here is who gets in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from handoff import keys
from handoff.dev.gateway import dev_extras
from handoff.settings import Settings
from handoff.web.app import create_app

OURS = "http://127.0.0.1:8080"
HEADER = "X-Conversation-Token"


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[TestClient]:
    settings = Settings(
        redis_url=redis_url,
        public_url=OURS,
        demo_accounts=True,
        rasa_url="http://127.0.0.1:9",
        action_server_url="http://127.0.0.1:9",
        rasa_timeout_s=0.5,
    )
    c = TestClient(TestServer(create_app(settings, [dev_extras])))
    await c.start_server()
    yield c
    await c.close()


def conv() -> str:
    return "acc" + uuid.uuid4().hex[:12]


async def post(client: TestClient, conv_id: str, token: str | None = None) -> Any:
    return await client.post(
        f"/api/conversations/{conv_id}/messages",
        json={"text": "where is my parcel"},
        headers={HEADER: token} if token else {},
    )


async def test_the_first_message_gets_a_token_and_later_ones_need_it(client: TestClient) -> None:
    c = conv()
    first = await post(client, c)
    assert first.status == 200
    token = (await first.json())["conversation_token"]
    assert len(token) >= 30

    anonymous = await post(client, c)
    assert anonymous.status == 403
    assert (await anonymous.json())["error"]["code"] == "conversation_token_required"
    forged = await post(client, c, "x" * len(token))
    assert (await forged.json())["error"]["code"] == "bad_conversation_token"

    again = await post(client, c, token)
    assert again.status == 200 and "conversation_token" not in await again.json()


async def test_a_transcript_needs_the_token_or_a_staff_session(client: TestClient) -> None:
    c = conv()
    token = (await (await post(client, c)).json())["conversation_token"]

    assert (await client.get(f"/api/conversations/{c}")).status == 403
    assert (await client.get(f"/api/conversations/{c}", headers={HEADER: "guess"})).status == 403
    mine = await client.get(f"/api/conversations/{c}", headers={HEADER: token})
    assert mine.status == 200
    body = await mine.json()
    assert [e["speaker"] for e in body["transcript"]][0] == "shopper"
    assert "token_hash" not in body["meta"]  # the secret's hash never leaves the store

    login = await client.post(
        "/api/auth/login",
        json={"login": "lena", "password": "demo-lena-2026"},
        headers={"Origin": OURS},
    )
    assert login.status == 200, await login.text()
    staff = await client.get(f"/api/conversations/{c}")  # the session cookie, no token
    assert staff.status == 200


async def test_the_socket_hands_out_the_token_once_and_refuses_strangers(
    client: TestClient,
) -> None:
    c = conv()
    ws = await client.ws_connect(f"/ws/shopper?conversation_id={c}")
    hello = await ws.receive_json(timeout=5)
    token = hello["token"]
    await ws.close()

    stranger = await client.ws_connect(f"/ws/shopper?conversation_id={c}")
    frame = await stranger.receive_json(timeout=5)
    assert frame["type"] == "error" and frame["code"] == "conversation_token_required"
    closing = await stranger.receive(timeout=5)
    assert closing.type == WSMsgType.CLOSE and closing.data == 4403

    owner = await client.ws_connect(f"/ws/shopper?conversation_id={c}&token={token}")
    again = await owner.receive_json(timeout=5)
    assert again["type"] == "hello" and "token" not in again
    await owner.close()

    # the REST side accepts the socket's token too: one conversation, one secret
    assert (await post(client, c, token)).status == 200


async def test_a_conversation_made_by_the_server_is_no_shoppers_to_take(
    client: TestClient, redis_url: str
) -> None:
    c = conv()
    redis = Redis.from_url(redis_url)
    await redis.hset(keys.conversation(c), mapping={"mode": "bot", "channel": "email"})
    await redis.close()
    ws = await client.ws_connect(f"/ws/shopper?conversation_id={c}")
    frame = await ws.receive_json(timeout=5)
    assert frame["code"] == "conversation_token_required"
    assert (await post(client, c)).status == 403


async def test_a_malformed_token_is_a_clear_400(client: TestClient) -> None:
    resp = await post(client, conv(), "x" * 500)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "bad_conversation_token"
