"""Test-only gateway routes (handoff/testhooks.py): dropping a shopper's sockets."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from handoff.channels.hub import SocketHub
from handoff.channels.widget import ShopperSink
from handoff.dev import testhooks
from handoff.web import appkeys as K
from handoff.web.middleware import errors


async def shopper_socket(request: web.Request) -> web.WebSocketResponse:
    """Just enough of the real handler: registered in the hub while open."""
    conv_id = request.query["conversation_id"]
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    sink = ShopperSink(ws)
    request.app[K.SOCKETS].add(conv_id, sink)
    try:
        async for _ in ws:
            pass
    finally:
        request.app[K.SOCKETS].remove(conv_id, sink)
    return ws


def make_app() -> web.Application:
    app = web.Application(middlewares=[errors])  # the gateway's error mapping
    app[K.SOCKETS] = SocketHub()
    app.router.add_get("/ws/shopper", shopper_socket)
    testhooks.add_routes(app)
    return app


async def test_drop_closes_only_that_conversations_sockets_and_can_refuse_new_ones() -> None:
    async with TestClient(TestServer(make_app())) as client:
        mine = await client.ws_connect("/ws/shopper?conversation_id=conv-mine")
        other = await client.ws_connect("/ws/shopper?conversation_id=conv-other")
        resp = await client.post(
            "/api/test/drop-sockets", json={"conversation_id": "conv-mine", "refuse_for_s": 5}
        )
        assert (await resp.json())["closed"] == 1
        msg = await mine.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.CLOSE
        assert not other.closed
        refused = await client.get("/ws/shopper?conversation_id=conv-mine")
        assert refused.status == 503
        resp = await client.post("/api/test/drop-sockets", json={"conversation_id": "conv-other"})
        assert (await resp.json())["closed"] == 1
        again = await client.ws_connect("/ws/shopper?conversation_id=conv-other")  # no hold
        await again.close()
        await other.close()
        await mine.close()


async def test_bad_requests_are_refused() -> None:
    async with TestClient(TestServer(make_app())) as client:
        for body in (
            {"conversation_id": "a b"},
            {"conversation_id": "conv-x", "refuse_for_s": 999},
        ):
            resp = await client.post("/api/test/drop-sockets", json=body)
            assert resp.status == 400
