"""The public REST API: shopper messages, transcripts, analysis, health, the agent queue."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot import entities, language
from handoff.accounts import auth
from handoff.cases.csat import check_answer
from handoff.channels.email.notices import counts as notice_counts
from handoff.conversations.text import check_client_id, check_conversation_id, clean_text
from handoff.errors import Forbidden, InputError, NotFound, Unavailable
from handoff.escalation import score as scoring
from handoff.rasa_client import RasaUnavailable
from handoff.web import appkeys as K
from handoff.web.requests import (
    client_address,
    metadata_of,
    presented_token,
    query_int,
    read_json,
)


async def post_message(request: web.Request) -> web.Response:
    conv_id = check_conversation_id(request.match_info["conversation_id"])
    body = await read_json(request)
    settings = request.app[K.SETTINGS]
    text = clean_text(body.get("text"), settings.max_text_chars)
    metadata, client_id = metadata_of(body), check_client_id(body.get("client_id"))
    metadata["client_address"] = client_address(request)  # ours, never the client's say
    issued = await request.app[K.STORE].open_for_shopper(conv_id, presented_token(request))
    result = await request.app[K.CONVERSATIONS].shopper_message(conv_id, text, metadata, client_id)
    if issued:
        result = {**result, "conversation_token": issued}  # once: later calls send it back
    return web.json_response(result)


async def get_conversation(request: web.Request) -> web.Response:
    conv_id = check_conversation_id(request.match_info["conversation_id"])
    store = request.app[K.STORE]
    after = query_int(request, "after")
    token = presented_token(request)
    staff = await auth.account_of(request) is not None  # every staff role reads transcripts
    if not staff and not token:
        raise Forbidden(
            "conversation_token_required",
            "a transcript needs the conversation's token or a staff session",
        )
    if not await store.exists(conv_id):
        raise NotFound("unknown_conversation", f"no conversation {conv_id!r}")
    if not staff:
        await store.open_for_shopper(conv_id, token)  # exists: checks, never issues
    return web.json_response(
        {
            "conversation_id": conv_id,
            "meta": await store.meta(conv_id),
            "transcript": await store.history(conv_id, after),
        }
    )


async def post_csat(request: web.Request) -> web.Response:
    conv_id = check_conversation_id(request.match_info["conversation_id"])
    rating, comment = check_answer(await read_json(request))
    if await request.app[K.STORE].exists(conv_id):  # the shopper's own chat only
        await request.app[K.STORE].open_for_shopper(conv_id, presented_token(request))
    return web.json_response(await request.app[K.CSAT].answer(conv_id, rating, comment))


async def analyze(request: web.Request) -> web.Response:
    body = await read_json(request)
    settings = request.app[K.SETTINGS]
    text = clean_text(body.get("text"), settings.max_text_chars)
    context = body.get("context") or {}
    if not isinstance(context, dict):
        raise InputError(400, "bad_context", "'context' must be a JSON object")
    hint = context.get("language_hint")
    detection = language.detect(text.plain, hint=hint if isinstance(hint, str) else None)
    try:
        parsed = await request.app[K.RASA].parse(text.plain)
    except RasaUnavailable:
        raise Unavailable(
            "nlu_unavailable", "the NLU model is not reachable; try again soon"
        ) from None
    intent = parsed.get("intent") or {}
    value = context.get("order_value")
    escalation = scoring.score(
        text.plain,
        scoring.Context(
            language=detection.language or "en",
            intent=intent.get("name"),
            order_value_usd=float(value) if isinstance(value, (int, float)) else None,
            customer_tier="vip" if context.get("vip") else None,
        ),
    )
    return web.json_response(
        {
            "language": detection.language or "und",
            "language_confidence": detection.confidence,
            "intent": intent.get("name"),
            "intent_confidence": intent.get("confidence"),
            "intent_ranking": parsed.get("intent_ranking", [])[:5],
            "entities": entities.extract(text.plain),
            "sentiment": escalation.sentiment,
            "escalation": escalation.as_dict(),
        }
    )


async def healthz(request: web.Request) -> web.Response:
    checks: dict[str, Any] = {}
    try:
        await asyncio.wait_for(request.app[K.REDIS].ping(), 2)
        checks["redis"] = {"ok": True}
        # informational: a dead-lettered notice is an admin's to-do, not an outage
        checks["notices"] = {"ok": True, **await notice_counts(request.app[K.REDIS])}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ok"
        checks["redis"] = {"ok": False, "error": type(exc).__name__}
    checks["pubsub"] = {"ok": request.app[K.SOCKETS].listening}
    checks.update(await request.app[K.RASA].health())
    ok = all(c["ok"] for c in checks.values())
    return web.json_response(
        {"ok": ok, "instance": request.app[K.SETTINGS].instance, **checks},
        status=200 if ok else 503,
    )


async def agent_queue(request: web.Request) -> web.Response:
    account = await auth.require(request, "agent")
    return web.json_response(await request.app[K.DESK].routing_view(account))


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/conversations/{conversation_id}/messages", post_message)
    app.router.add_get("/api/conversations/{conversation_id}", get_conversation)
    app.router.add_post("/api/conversations/{conversation_id}/csat", post_csat)
    app.router.add_post("/api/analyze", analyze)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/agent/queue", agent_queue)
