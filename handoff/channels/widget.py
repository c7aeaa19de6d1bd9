"""The storefront widget's channel: the shopper websocket (history, live entries, messages in)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from aiohttp import WSCloseCode, web
from redis.exceptions import RedisError

from handoff import events
from handoff.cases.csat import check_answer
from handoff.channels.base import Audience
from handoff.conversations.text import check_client_id, check_conversation_id, clean_text
from handoff.errors import DomainError, Forbidden, InputError
from handoff.web import appkeys as K
from handoff.web.requests import (
    MAX_BODY,
    client_address,
    metadata_of,
    origin_allowed,
    presented_token,
    query_int,
)

TOKEN_REFUSED = 4403  # close code: this conversation is not the client's (widget starts anew)


class ShopperSink:
    """One shopper socket as a `Sink` of the hub."""

    audience: Audience = "shopper"

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        # one writer at a time: the hub's listener task and this socket's own handler both
        # send, and aiohttp's writer does not serialise frames (nor the deflate context)
        self.lock = asyncio.Lock()

    @property
    def closed(self) -> bool:
        return self.ws.closed

    async def send(self, message: dict[str, Any]) -> None:
        async with self.lock:
            if not self.ws.closed:
                await self.ws.send_json(message)

    async def deliver(self, conv_id: str, message: dict[str, Any]) -> None:
        await self.send(message)

    async def close(self) -> None:
        await self.ws.close(code=WSCloseCode.GOING_AWAY, message=b"closed by server")


async def shopper_socket(request: web.Request) -> web.StreamResponse:
    """Shopper websocket: history since `after`, then live entries; messages in."""
    if not origin_allowed(request):
        raise Forbidden("origin_not_allowed", "this site may not open the chat")
    conv_id = check_conversation_id(request.query.get("conversation_id", ""))
    after = query_int(request, "after")
    token = presented_token(request)
    ws = web.WebSocketResponse(heartbeat=25, max_msg_size=MAX_BODY)
    await ws.prepare(request)
    hub, store = request.app[K.SOCKETS], request.app[K.STORE]
    try:
        issued = await store.open_for_shopper(conv_id, token)
    except Forbidden as exc:
        # after the upgrade, so the widget can tell "not yours" from "network down" and
        # start a conversation of its own instead of retrying this one forever
        await ws.send_json({"type": events.ERROR, "code": exc.code, "message": exc.message})
        await ws.close(code=TOKEN_REFUSED, message=exc.code.encode())
        return ws
    sink = ShopperSink(ws)
    hub.add(conv_id, sink)  # subscribe before reading history so nothing falls in between
    try:
        meta = await store.meta(conv_id)
        await sink.send(
            {
                "type": events.HELLO,
                "conversation_id": conv_id,
                "mode": meta.get("mode", "bot"),
                "agent_name": meta.get("owner_name") if meta.get("mode") == "agent" else None,
                "language": meta.get("language"),
                **({"token": issued} if issued else {}),
            }
        )
        for entry in await store.history(conv_id, after):
            await sink.send({"type": events.ENTRY, "entry": entry})
        if meta.get("csat_asked_at") and not meta.get("csat_answered_at"):
            # asked while this shopper was away: the question waits for their next visit
            await sink.send({"type": events.CSAT, "conversation_id": conv_id})
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            await handle_socket_message(request, sink, conv_id, msg.data)
    finally:
        hub.remove(conv_id, sink)
    return ws


async def handle_socket_message(
    request: web.Request, ws: ShopperSink, conv_id: str, data: str
) -> None:
    body: Any = None
    try:
        body = json.loads(data)
        if isinstance(body, dict) and body.get("type") == events.SHOPPER_CSAT:
            rating, comment = check_answer(body)
            result = await request.app[K.CSAT].answer(conv_id, rating, comment)
            await ws.send(
                {"type": events.CSAT, "answered": True, "reopened": bool(result.get("reopened"))}
            )
            return
        if not isinstance(body, dict) or body.get("type") != events.SHOPPER_MESSAGE:
            raise InputError(400, "bad_message", 'send {"type": "message", "text": ...}')
        text = clean_text(body.get("text"), request.app[K.SETTINGS].max_text_chars)
        await ws.send({"type": events.TYPING, "speaker": "bot"})
        metadata = {**metadata_of(body), "client_address": client_address(request)}
        result = await request.app[K.CONVERSATIONS].shopper_message(
            conv_id, text, metadata, check_client_id(body.get("client_id"))
        )
        await ws.send(
            {
                "type": events.STATE,
                "mode": result["mode"],
                "language": result["language"],
                "escalation": result["escalation"],
                "client_id": body.get("client_id"),
            }
        )
    except (json.JSONDecodeError, RecursionError):
        await ws.send({"type": events.ERROR, "code": "bad_json", "message": "not valid JSON"})
    except (RedisError, OSError):
        # the store is away for a moment: nothing was saved, the widget keeps the message
        await ws.send(
            {
                "type": events.ERROR,
                "code": "store_unavailable",
                "message": "we can't save messages right now; it will be sent again",
                "retry": True,
                "client_id": body.get("client_id") if isinstance(body, dict) else None,
            }
        )
    except DomainError as exc:
        await ws.send(
            {
                "type": events.ERROR,
                "code": exc.code,
                "message": exc.message,
                "client_id": body.get("client_id") if isinstance(body, dict) else None,
            }
        )


class WidgetChannel:
    """The first `Channel`: the storefront widget over a websocket."""

    name = "widget"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/ws/shopper", shopper_socket)
