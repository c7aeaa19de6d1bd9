"""Faults on the real stack: the real processes are killed and started again.

A stack of its own (these tests break it on purpose): Redis with persistence, Rasa, the
action server and the gateway, supervised by the launcher's `Supervisor`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot import copy
from handoff.dev.launcher import Stack, Supervisor, ensure_model
from tests.support import shopper

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def fragile(tmp_path_factory: pytest.TempPathFactory, sample_store: Path) -> Iterator[Stack]:
    var = tmp_path_factory.mktemp("fault-var")
    (var / "shop").mkdir()
    (var / "shop" / "sample_store.json").write_bytes(sample_store.read_bytes())
    stack = Stack.ephemeral(
        var, model=ensure_model(), extra_env={"RASA_WORKERS": "1", "GATEWAY_TEST_HOOKS": "1"}
    )
    stack.persist_redis = True  # a blip, not data loss
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def conv() -> str:
    return "f" + uuid.uuid4().hex[:16]


async def post(base: str, conv_id: str, text: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as s:
        async with s.post(
            f"{base}/api/conversations/{conv_id}/messages",
            json={"text": text},
            headers=shopper.headers(conv_id),
        ) as resp:
            return resp.status, shopper.remember(conv_id, await resp.json())


def healthz(base: str) -> tuple[int, dict]:
    async def run() -> tuple[int, dict]:
        async with aiohttp.ClientSession() as s:
            async with s.get(f"{base}/healthz") as resp:
                return resp.status, await resp.json()

    return asyncio.run(run())


def wait_healthy(base: str, timeout: float = 60) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        status, body = healthz(base)
        if status == 200:
            return body
        time.sleep(0.3)
    raise AssertionError(f"gateway not healthy: {body}")


@pytest.mark.parametrize("victim", ["actions", "rasa"])
def test_bot_down_tells_the_shopper_and_queues_for_a_person(fragile: Stack, victim: str) -> None:
    fragile.kill(victim)
    try:
        status, result = asyncio.run(post(fragile.gateway_url, conv(), "where is my parcel?"))
        assert status == 200, result
        assert result["replies"][0]["text"] == copy.render("bot_down", "en")
        assert result["mode"] == "queued"
        assert result["escalation"]["reasons"][0]["code"] == "bot_failure"
        health_status, health = healthz(fragile.gateway_url)
        assert health_status == 503
        assert not health["action_server" if victim == "actions" else "rasa"]["ok"]
    finally:
        fragile.restart(victim)
    wait_healthy(fragile.gateway_url, 120)
    status, result = asyncio.run(post(fragile.gateway_url, conv(), "hi"))
    assert status == 200 and result["mode"] == "bot" and not result["degraded"]


def test_redis_blip_gets_503_then_live_entries_flow_again(fragile: Stack) -> None:
    c = conv()

    async def run() -> None:
        async with aiohttp.ClientSession() as s:
            async with s.ws_connect(shopper.ws_url(fragile.gateway_url, c), compress=0) as ws:
                hello = shopper.remember(c, await ws.receive_json(timeout=10))
                assert hello["type"] == "hello" and hello["token"]
                fragile.kill("redis")
                try:
                    status, body = await post(fragile.gateway_url, c, "hello?")
                    assert status == 503 and body["error"]["code"] == "store_unavailable"
                    await ws.send_json(
                        {"type": "message", "text": "still there?", "client_id": "m1"}
                    )
                    frame = await error_frame(ws)
                    if frame is not None:  # else the socket dropped: the widget resends too
                        assert frame["code"] == "store_unavailable" and frame["retry"] is True
                        assert frame["client_id"] == "m1"
                    await asyncio.sleep(4)
                finally:
                    fragile.restart("redis")  # never leave the next test without Redis
                await asyncio.to_thread(wait_healthy, fragile.gateway_url, 60)
                # the listener resubscribed: a new entry reaches this still-open socket live
                status, _ = await post(fragile.gateway_url, c, "back again")
                assert status == 200
                texts = None if ws.closed else await live_texts(ws, "back again")
                if texts is None:
                    # the client socket itself broke (aiohttp client frame error seen once in
                    # CI): the entry must then be in what a reconnecting widget catches up on
                    again_url = shopper.ws_url(fragile.gateway_url, c)
                    async with s.ws_connect(again_url, compress=0) as again:
                        texts = await live_texts(again, "back again")
                assert texts is not None and "back again" in texts

    asyncio.run(run())


async def error_frame(ws: aiohttp.ClientWebSocketResponse) -> dict | None:
    """The error frame after typing, or None when the socket broke instead (seen in CI as an
    aiohttp client frame error while Redis was down; not yet explained)."""
    while True:
        msg = await ws.receive(timeout=10)
        if msg.type != aiohttp.WSMsgType.TEXT:
            return None
        frame = json.loads(msg.data)
        if frame["type"] == "error":
            return dict(frame)


async def live_texts(ws: aiohttp.ClientWebSocketResponse, want: str) -> list[str] | None:
    """Entry texts received until `want` arrives (10 s), or None if the socket broke."""
    texts: list[str] = []
    deadline = time.time() + 10
    while time.time() < deadline:
        msg = await ws.receive(timeout=10)
        if msg.type != aiohttp.WSMsgType.TEXT:
            return None
        frame = json.loads(msg.data)
        if frame["type"] == "entry":
            texts.append(frame["entry"]["text"])
            if want in texts:
                break
    return texts


def test_supervisor_restarts_a_crashed_gateway(fragile: Stack) -> None:
    supervisor = Supervisor(fragile, max_restarts=3)
    fragile.kill("gateway")
    assert supervisor.check() == []  # scheduled, after a 1 s backoff
    time.sleep(1.1)
    assert supervisor.check() == ["gateway"]
    wait_healthy(fragile.gateway_url)
    status, result = asyncio.run(post(fragile.gateway_url, conv(), "hi"))
    assert status == 200 and result["mode"] == "bot"


def test_gateway_killed_after_storing_a_message_answers_it_once_after_restart(
    fragile: Stack,
) -> None:
    """The real gateway process dies between storing a shopper message and answering it.
    The widget's way back: reconnect, resend what was never acknowledged (same client id).
    The message is stored once and answered once; a second resend changes nothing."""
    c = conv()
    frame = {"type": "message", "text": "where is my order?", "client_id": "crash-after-store-1"}

    async def run() -> None:
        async with aiohttp.ClientSession() as s:
            async with s.ws_connect(shopper.ws_url(fragile.gateway_url, c)) as ws:
                shopper.remember(c, await ws.receive_json(timeout=10))
                await ws.send_json(frame)
                while (await ws.receive(timeout=20)).type not in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.ERROR,
                ):
                    pass  # typing frames, then the socket dies with the process
            gateway = fragile.proc("gateway")
            assert gateway is not None and gateway.wait(10) == 70  # it really crashed
            await asyncio.to_thread(fragile.restart, "gateway")
            for _ in range(2):  # the resend, then a second (duplicate) one
                async with s.ws_connect(shopper.ws_url(fragile.gateway_url, c)) as ws:
                    assert (await ws.receive_json(timeout=10))["type"] == "hello"
                    await ws.send_json(frame)
                    while True:
                        msg = await ws.receive_json(timeout=30)
                        if msg["type"] == "state":
                            assert msg["client_id"] == "crash-after-store-1"
                            break
            async with s.get(
                f"{fragile.gateway_url}/api/conversations/{c}", headers=shopper.headers(c)
            ) as resp:
                transcript = (await resp.json())["transcript"]
        said = [e for e in transcript if e["speaker"] == "shopper"]
        assert [e["text"] for e in said] == ["where is my order?"]  # stored once
        answers = [e for e in transcript if e["speaker"] == "bot" and e["seq"] > said[0]["seq"]]
        assert answers and "order number" in answers[0]["text"]  # answered after the restart
        bot_turns = [e["seq"] for e in transcript if e["speaker"] == "bot"]
        assert len(bot_turns) == len(answers)  # and only once (the duplicate got nothing new)

    asyncio.run(run())
