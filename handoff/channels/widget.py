"""The storefront widget's channel: the shopper websocket (history, live entries, messages in)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from aiohttp import WSCloseCode, web
from redis.exceptions import RedisError

from handoff import events
from handoff.channels.base import Audience
from handoff.conversations.text import check_client_id, check_conversation_id, clean_text
from handoff.errors import DomainError, Forbidden, InputError
from handoff.web import appkeys as K
from handoff.web.requests import MAX_BODY, metadata_of, origin_allowed, query_int


class ShopperSink:
    """One shopper socket as a `Sink` of the hub."""

    audience: Audience = "shopper"

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws

    @property
    def closed(self) -> bool:
        return self.ws.closed

    async def deliver(self, conv_id: str, message: dict[str, Any]) -> None:
        await self.ws.send_json(message)

    async def close(self) -> None:
        await self.ws.close(code=WSCloseCode.GOING_AWAY, message=b"closed by server")


async def shopper_socket(request: web.Request) -> web.StreamResponse:
    """Shopper websocket: history since `after`, then live entries; messages in."""
    if not origin_allowed(request):
        raise Forbidden("origin_not_allowed", "this site may not open the chat")
    conv_id = check_conversation_id(request.query.get("conversation_id", ""))
    after = query_int(request, "after")
    ws = web.WebSocketResponse(heartbeat=25, max_msg_size=MAX_BODY)
    await ws.prepare(request)
    hub, store = request.app[K.SOCKETS], request.app[K.STORE]
    sink = ShopperSink(ws)
    hub.add(conv_id, sink)  # subscribe before reading history so nothing falls in between
    try:
        meta = await store.meta(conv_id)
        await ws.send_json(
            {
                "type": events.HELLO,
                "conversation_id": conv_id,
                "mode": meta.get("mode", "bot"),
                "agent_name": meta.get("owner_name") if meta.get("mode") == "agent" else None,
                "language": meta.get("language"),
            }
        )
        for entry in await store.history(conv_id, after):
            await ws.send_json({"type": events.ENTRY, "entry": entry})
        if meta.get("csat_asked_at") and not meta.get("csat_answered_at"):
            # asked while this shopper was away: the question waits for their next visit
            await ws.send_json({"type": events.CSAT, "conversation_id": conv_id})
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            await handle_socket_message(request, ws, conv_id, msg.data)
    finally:
        hub.remove(conv_id, sink)
    return ws


async def handle_socket_message(
    request: web.Request, ws: web.WebSocketResponse, conv_id: str, data: str
) -> None:
    body: Any = None
    try:
        body = json.loads(data)
        if not isinstance(body, dict) or body.get("type") != events.SHOPPER_MESSAGE:
            raise InputError(400, "bad_message", 'send {"type": "message", "text": ...}')
        text = clean_text(body.get("text"), request.app[K.SETTINGS].max_text_chars)
        await ws.send_json({"type": events.TYPING, "speaker": "bot"})
        result = await request.app[K.CONVERSATIONS].shopper_message(
            conv_id, text, metadata_of(body), check_client_id(body.get("client_id"))
        )
        await ws.send_json(
            {
                "type": events.STATE,
                "mode": result["mode"],
                "language": result["language"],
                "escalation": result["escalation"],
                "client_id": body.get("client_id"),
            }
        )
    except (json.JSONDecodeError, RecursionError):
        await ws.send_json({"type": events.ERROR, "code": "bad_json", "message": "not valid JSON"})
    except (RedisError, OSError):
        # the store is away for a moment: nothing was saved, the widget keeps the message
        await ws.send_json(
            {
                "type": events.ERROR,
                "code": "store_unavailable",
                "message": "we can't save messages right now; it will be sent again",
                "retry": True,
                "client_id": body.get("client_id") if isinstance(body, dict) else None,
            }
        )
    except DomainError as exc:
        await ws.send_json(
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
