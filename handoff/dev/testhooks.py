"""Test-only gateway routes, mounted only when GATEWAY_TEST_HOOKS=1 (never in production).

Browser tests use them to break things on purpose, from the server side:

    POST /api/test/drop-sockets {"conversation_id": "...", "refuse_for_s": 2.5}
        closes that conversation's shopper websockets on this gateway and, optionally,
        refuses new ones for a while, so a test can post messages while the widget is
        certainly disconnected and then watch it catch up.

    a shopper message whose client id starts with "crash-after-store" kills the gateway
        process (exit 70) right after the message is stored and before the bot answers:
        the fault tests restart it and check the stored message is answered once.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from handoff.conversations.text import check_conversation_id
from handoff.errors import InputError
from handoff.web import appkeys as K
from handoff.web import hooks

LOG = logging.getLogger("handoff.testhooks")
MAX_REFUSE_S = 30.0

# conversation id -> monotonic time until which its shopper sockets are refused
REFUSED: web.AppKey[dict[str, float]] = web.AppKey("test_refused_sockets")


async def drop_sockets(request: web.Request) -> web.Response:
    try:
        body = json.loads(await request.text())
    except json.JSONDecodeError:
        raise InputError(400, "bad_json", 'send {"conversation_id": ...}') from None
    if not isinstance(body, dict):
        raise InputError(400, "bad_json", 'send {"conversation_id": ...}')
    conv_id = check_conversation_id(str(body.get("conversation_id", "")))
    refuse_for = body.get("refuse_for_s", 0)
    if not isinstance(refuse_for, (int, float)) or not 0 <= refuse_for <= MAX_REFUSE_S:
        raise InputError(400, "bad_refuse_for_s", f"refuse_for_s must be 0-{MAX_REFUSE_S:.0f}")
    if refuse_for:
        request.app[REFUSED][conv_id] = time.monotonic() + float(refuse_for)
    # (the shopper handler's own close may win the race and send 1000: the widget
    # reconnects on any close, which is what the tests are about)
    closed = await request.app[K.SOCKETS].close_shoppers(conv_id)
    LOG.info(
        "test_sockets_dropped",
        extra={"conversation_id": conv_id, "closed": closed, "refuse_for_s": refuse_for},
    )
    return web.json_response(
        {"conversation_id": conv_id, "closed": closed, "refuse_for_s": refuse_for}
    )


@web.middleware
async def refuse_held_sockets(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.path == "/ws/shopper":
        until = request.app[REFUSED].get(request.query.get("conversation_id", ""), 0.0)
        if time.monotonic() < until:
            return web.json_response(
                {"error": {"code": "test_refused", "message": "refused by a test hook"}}, status=503
            )
    return await handler(request)


CRASH_PREFIX = "crash-after-store"


async def arm_crash_after_store(app: web.Application) -> None:
    store = app.get(K.STORE)
    if store is None:  # an app without the conversation store (unit tests of these hooks)
        return
    remember = store.remember_client_id

    async def remember_then_maybe_die(conv_id: str, client_id: str | None, seq: int) -> None:
        await remember(conv_id, client_id, seq)
        if client_id and client_id.startswith(CRASH_PREFIX):
            LOG.warning("test_crash_after_store", extra={"conversation_id": conv_id})
            os._exit(70)

    setattr(store, "remember_client_id", remember_then_maybe_die)  # noqa: B010


def add_routes(app: web.Application) -> None:
    app[REFUSED] = {}
    hooks.on_startup(app, arm_crash_after_store)
    app.middlewares.append(refuse_held_sockets)
    app.router.add_post("/api/test/drop-sockets", drop_sockets)
    LOG.warning("test_hooks_enabled")
