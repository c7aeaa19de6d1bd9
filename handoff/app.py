"""The gateway's aiohttp application factory, routes and error middleware."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from bot import entities, language
from handoff import auth
from handoff.accounts import AccountStore
from handoff import appkeys as K
from handoff.conversations import Conversations
from handoff import desk as desk_module
from handoff.queue import HandoffStore, load_config
from handoff import scoring, security, testhooks
from handoff.rasa_client import RasaClient, RasaUnavailable
from handoff.settings import Settings
from handoff.sockets import ShopperSink, SocketHub
from handoff.storage import ConversationStore
from handoff.textinput import InputError, check_conversation_id, clean_text
from handoff.trainer import routes as trainer_routes
from handoff.translation import build_translator

LOG = logging.getLogger("handoff.app")
STATIC = Path(__file__).with_name("static")
MAX_BODY = 64 * 1024


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def errors(request: web.Request,
                 handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                 ) -> web.StreamResponse:
    """Domain errors become JSON 4xx; nothing unexpected ever shows a traceback."""
    try:
        return await handler(request)
    except InputError as exc:
        return error(exc.status, exc.code, exc.message)
    except web.HTTPRequestEntityTooLarge:
        return error(413, "body_too_large", f"request body over {MAX_BODY} bytes")
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith("/api/"):
            return error(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason)
        raise
    except Exception:
        LOG.exception("unhandled_error", extra={"path": request.path})
        return error(500, "internal", "something went wrong on our side; please try again")


async def read_json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(400, "bad_encoding", "the request body must be UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise InputError(400, "bad_json", f"the request body is not valid JSON: {exc.msg}") \
            from None
    if not isinstance(body, dict):
        raise InputError(400, "bad_json", "the request body must be a JSON object")
    return body


def metadata_of(body: dict[str, Any]) -> dict[str, Any]:
    meta = body.get("metadata") or {}
    if not isinstance(meta, dict):
        raise InputError(400, "bad_metadata", "'metadata' must be a JSON object")
    return {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool))}


async def post_message(request: web.Request) -> web.Response:
    conv_id = check_conversation_id(request.match_info["conversation_id"])
    body = await read_json(request)
    settings = request.app[K.SETTINGS]
    text = clean_text(body.get("text"), settings.max_text_chars)
    result = await request.app[K.CONVERSATIONS].shopper_message(conv_id, text,
                                                                 metadata_of(body))
    return web.json_response(result)


async def get_conversation(request: web.Request) -> web.Response:
    conv_id = check_conversation_id(request.match_info["conversation_id"])
    store = request.app[K.STORE]
    if not await store.exists(conv_id):
        return error(404, "unknown_conversation", f"no conversation {conv_id!r}")
    after = int(request.query.get("after", "0") or 0)
    return web.json_response({"conversation_id": conv_id, "meta": await store.meta(conv_id),
                              "transcript": await store.history(conv_id, after)})


async def analyze(request: web.Request) -> web.Response:
    body = await read_json(request)
    settings = request.app[K.SETTINGS]
    text = clean_text(body.get("text"), settings.max_text_chars)
    context = body.get("context") or {}
    if not isinstance(context, dict):
        raise InputError(400, "bad_context", "'context' must be a JSON object")
    detection = language.detect(text.plain, hint=context.get("language_hint"))
    try:
        parsed = await request.app[K.RASA].parse(text.plain)
    except RasaUnavailable:
        return error(503, "nlu_unavailable", "the NLU model is not reachable; try again soon")
    intent = parsed.get("intent") or {}
    value = context.get("order_value")
    escalation = scoring.score(text.plain, scoring.Context(
        language=detection.language or "en", intent=intent.get("name"),
        order_value_usd=float(value) if isinstance(value, (int, float)) else None,
        customer_tier="vip" if context.get("vip") else None))
    return web.json_response({
        "language": detection.language or "und",
        "language_confidence": detection.confidence,
        "intent": intent.get("name"), "intent_confidence": intent.get("confidence"),
        "intent_ranking": parsed.get("intent_ranking", [])[:5],
        "entities": entities.extract(text.plain),
        "sentiment": escalation.sentiment,
        "escalation": escalation.as_dict(),
    })


async def healthz(request: web.Request) -> web.Response:
    checks: dict[str, Any] = {}
    try:
        await asyncio.wait_for(request.app[K.REDIS].ping(), 2)
        checks["redis"] = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ok"
        checks["redis"] = {"ok": False, "error": type(exc).__name__}
    checks.update(await request.app[K.RASA].health())
    ok = all(c["ok"] for c in checks.values())
    return web.json_response({"ok": ok, "instance": request.app[K.SETTINGS].instance,
                              **checks}, status=200 if ok else 503)


def origin_allowed(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is None or origin in request.app[K.SETTINGS].allowed_origins


async def shopper_socket(request: web.Request) -> web.StreamResponse:
    """Shopper websocket: history since `after`, then live entries; messages in."""
    if not origin_allowed(request):
        return error(403, "origin_not_allowed", "this site may not open the chat")
    conv_id = check_conversation_id(request.query.get("conversation_id", ""))
    after = int(request.query.get("after", "0") or 0)
    ws = web.WebSocketResponse(heartbeat=25, max_msg_size=MAX_BODY)
    await ws.prepare(request)
    hub, store = request.app[K.SOCKETS], request.app[K.STORE]
    sink = ShopperSink(ws)
    hub.add(conv_id, sink)  # subscribe before reading history so nothing falls in between
    try:
        meta = await store.meta(conv_id)
        await ws.send_json({"type": "hello", "conversation_id": conv_id,
                            "mode": meta.get("mode", "bot"),
                            "agent_name": meta.get("owner_name")
                            if meta.get("mode") == "agent" else None,
                            "language": meta.get("language")})
        for entry in await store.history(conv_id, after):
            await ws.send_json({"type": "entry", "entry": entry})
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            await handle_socket_message(request, ws, conv_id, msg.data)
    finally:
        hub.remove(conv_id, sink)
    return ws


async def handle_socket_message(request: web.Request, ws: web.WebSocketResponse,
                                conv_id: str, data: str) -> None:
    try:
        body = json.loads(data)
        if not isinstance(body, dict) or body.get("type") != "message":
            raise InputError(400, "bad_message", "send {\"type\": \"message\", \"text\": ...}")
        text = clean_text(body.get("text"), request.app[K.SETTINGS].max_text_chars)
        await ws.send_json({"type": "typing", "speaker": "bot"})
        result = await request.app[K.CONVERSATIONS].shopper_message(
            conv_id, text, metadata_of(body))
        await ws.send_json({"type": "state", "mode": result["mode"],
                            "language": result["language"],
                            "escalation": result["escalation"],
                            "client_id": body.get("client_id")})
    except json.JSONDecodeError:
        await ws.send_json({"type": "error", "code": "bad_json", "message": "not valid JSON"})
    except InputError as exc:
        await ws.send_json({"type": "error", "code": exc.code, "message": exc.message,
                            "client_id": body.get("client_id") if isinstance(body, dict)
                            else None})


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "demo" / "index.html")


async def console_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "console" / "index.html")


async def agent_queue(request: web.Request) -> web.Response:
    account = await auth.require(request, "agent")
    return web.json_response(await request.app[K.DESK].routing_view(account))


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[security.headers, errors], client_max_size=MAX_BODY)
    app[K.SETTINGS] = settings
    app[K.SOCKETS] = SocketHub()

    async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
        redis = Redis.from_url(settings.redis_url)
        app[K.REDIS] = redis
        app[K.STORE] = ConversationStore(redis)
        app[K.ACCOUNTS] = AccountStore(redis)
        config = load_config()
        if settings.grace_s is not None:
            config = dataclasses.replace(config, grace_s=settings.grace_s)
        app[K.HANDOFF] = HandoffStore(redis, config)
        if settings.demo_accounts:
            from handoff.accounts import seed_demo

            await seed_demo(redis)
        yield
        await redis.aclose() if hasattr(redis, "aclose") else await redis.close()

    async def http_ctx(app: web.Application) -> AsyncIterator[None]:
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
        app[K.HTTP] = session
        app[K.RASA] = RasaClient(session, settings.rasa_url, settings.action_server_url,
                                 settings.rasa_timeout_s)
        app[K.TRANSLATOR] = build_translator(settings, app[K.REDIS])
        app[K.CONVERSATIONS] = Conversations(app[K.STORE], app[K.RASA], app[K.TRANSLATOR],
                                             app[K.HANDOFF])
        app[K.DESK] = desk_module.Desk(app[K.REDIS], app[K.STORE], app[K.HANDOFF],
                                       app[K.ACCOUNTS], app[K.RASA], app[K.TRANSLATOR],
                                       app[K.SOCKETS], settings.max_text_chars)
        yield
        await session.close()

    async def pubsub_ctx(app: web.Application) -> AsyncIterator[None]:
        desk = app[K.DESK]
        grace = app[K.HANDOFF].config.grace_s
        tasks = [asyncio.create_task(app[K.SOCKETS].listen(app[K.REDIS])),
                 asyncio.create_task(desk.heartbeat_loop(max(0.2, grace / 3))),
                 asyncio.create_task(desk.sweep_loop(settings.sweep_every_s))]
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def warm_up(app: web.Application) -> None:
        # the detector's vocabulary and spaCy rules load once, before the first shopper
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, lambda: (language.detect("warm up please"),
                                                  entities.extract("XB-204518")))

    async def on_shutdown(app: web.Application) -> None:
        await app[K.SOCKETS].close_all()

    app.cleanup_ctx.extend([redis_ctx, http_ctx, pubsub_ctx])
    app.on_startup.append(warm_up)
    app.on_shutdown.append(on_shutdown)
    app.router.add_post("/api/conversations/{conversation_id}/messages", post_message)
    app.router.add_get("/api/conversations/{conversation_id}", get_conversation)
    app.router.add_post("/api/analyze", analyze)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/ws/shopper", shopper_socket)
    auth.add_routes(app)
    app.router.add_get("/api/agent/queue", agent_queue)
    app.router.add_get("/ws/agent", desk_module.agent_socket)
    app.router.add_get("/console/", console_page)
    if settings.test_hooks:
        testhooks.add_routes(app)
    trainer_routes.add_routes(app)  # trainer console: /api/trainer/*, /trainer/
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC)
    return app


def main() -> None:
    from handoff import logs

    logs.setup()
    settings = Settings.from_env()
    web.run_app(create_app(settings), host=settings.host, port=settings.port,
                print=None, access_log=None)


if __name__ == "__main__":
    main()
