"""The agent socket: the console's protocol (operations in, views and events out).

Message names are in `handoff.events` (`AGENT_OPS` in, `AGENT_SERVER_TYPES` out).
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from handoff import events
from handoff.accounts import auth
from handoff.conversations.text import check_conversation_id, clean_text
from handoff.desk.connection import AgentConnection
from handoff.desk.operations import Desk, DeskError
from handoff.errors import DomainError, Forbidden
from handoff.web import appkeys as K
from handoff.web.requests import origin_allowed

LOG = logging.getLogger("handoff.desk")
CANNED_DIR = Path(__file__).with_name("canned")


@cache
def canned(lang: str) -> tuple[dict[str, str], ...]:
    path = CANNED_DIR / f"{lang}.yml"
    if not path.exists():
        path = CANNED_DIR / "en.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple({"id": c["id"], "title": c["title"], "text": c["text"]} for c in doc["canned"])


async def handle(desk: Desk, conn: AgentConnection, body: dict[str, Any]) -> dict[str, Any]:
    op = body.get("type")
    raw_id = body.get("conversation_id")
    conv_id = ""
    if op not in (events.OP_STATUS, events.OP_REFRESH):
        conv_id = check_conversation_id(raw_id if isinstance(raw_id, str) else "")
    if op == events.OP_STATUS:
        status = body.get("status")
        if status not in ("available", "away"):
            raise DeskError("bad_status", "status is available or away")
        await desk.handoff.set_status(conn.account.login, status)
    elif op == events.OP_REFRESH:
        await conn.send(await desk.routing_view(conn.account))
    elif op == events.OP_OPEN:
        await desk.open_chat(conn, conv_id)
    elif op == events.OP_CLOSE_VIEW:
        desk.close_view(conn, conv_id)
    elif op == events.OP_CLAIM:
        await desk.claim(conn, conv_id)
    elif op in (events.OP_MESSAGE, events.OP_CANNED):
        text = body.get("text")
        if op == events.OP_CANNED:
            item = next(
                (c for c in canned(conn.account.language) if c["id"] == body.get("id")), None
            )
            if item is None:
                raise DeskError("unknown_canned", "no such canned reply")
            text = item["text"]
        cleaned = clean_text(text, desk.max_text_chars)
        return {"entry": await desk.reply(conn, conv_id, cleaned.original)}
    elif op == events.OP_TYPING:
        await desk._owned(conv_id, conn.account)
        await desk.store.publish(conv_id, events.TYPING, speaker="agent", login=conn.account.login)
    elif op == events.OP_TRANSFER:
        await desk.transfer(
            conn, conv_id, body.get("to_agent") or None, body.get("to_team") or None
        )
    elif op == events.OP_RELEASE:
        await desk.release(conn, conv_id)
    elif op == events.OP_CLOSE:
        return {
            "case_id": await desk.close(
                conn,
                conv_id,
                str(body.get("resolution")),
                str(body.get("issue_type")),
                str(body.get("note") or ""),
            )
        }
    elif op == events.OP_HANDBACK:
        await desk.hand_back(conn, conv_id)
    else:
        raise DeskError("unknown_op", f"unknown message type {op!r}")
    return {}


async def hello(desk: Desk, conn: AgentConnection) -> dict[str, Any]:
    cfg = desk.handoff.config
    agents = [a.public() for a in await desk.accounts.all() if a.has("agent")]
    return {
        "type": events.HELLO,
        "account": conn.account.public(),
        "canned": list(canned(conn.account.language)),
        "resolutions": list(cfg.resolutions),
        "issue_types": list(cfg.issue_types),
        "teams": sorted(set(cfg.teams) | {"general", cfg.lead_team}),
        "agents": [
            {
                "login": a["login"],
                "name": a["name"],
                "languages": a["languages"],
                "teams": a["teams"],
            }
            for a in agents
        ],
        "grace_s": cfg.grace_s,
    }


async def agent_socket(request: web.Request) -> web.StreamResponse:
    """The console's websocket: an agent or a lead (leads take reopened low-CSAT cases);
    login required (401/403 before the upgrade)."""
    account = await auth.require(request, "agent", "lead")
    if not origin_allowed(request):
        raise Forbidden("origin_not_allowed", "this site may not open the console")
    desk = request.app[K.DESK]
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=64 * 1024)
    await ws.prepare(request)
    conn = AgentConnection(desk, account, ws)
    desk.connections[account.login].add(conn)
    await desk.handoff.heartbeat(account.login)
    LOG.info("agent_connected", extra={"agent": account.login})
    try:
        await conn.send(await hello(desk, conn))
        await conn.send(await desk.routing_view(account))
        for item in await desk.handoff.owned(account.login):  # reconnect: chats stay open
            await desk.open_chat(conn, item["conversation_id"])
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            ref = None
            try:
                body = json.loads(msg.data)
                if not isinstance(body, dict):
                    raise DeskError("bad_json", "send a JSON object")
                ref = body.get("ref")
                result = await handle(desk, conn, body)
                await conn.send({"type": events.OK, "ref": ref, "op": body.get("type"), **result})
            except json.JSONDecodeError:
                await conn.send({"type": events.ERROR, "code": "bad_json", "message": "not JSON"})
            except DomainError as exc:
                await conn.send(
                    {"type": events.ERROR, "ref": ref, "code": exc.code, "message": exc.message}
                )
    finally:
        desk.connections[account.login].discard(conn)
        for conv_id in list(conn.open):
            desk.hub.remove(conv_id, conn)
        LOG.info("agent_disconnected", extra={"agent": account.login})
    return ws


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ws/agent", agent_socket)
