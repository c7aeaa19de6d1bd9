"""The agent side of the gateway: the agent websocket, queue views with routing, and every
agent operation (claim, reply, canned reply, typing, transfer, release, close, hand back).

Agents work in their own language: shopper and bot turns reach them translated, with the
original beside it; their replies reach the shopper translated back. All state is in
Redis (handoff.queue.HandoffStore), so any gateway can serve any agent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from bot import copy, language
from handoff import appkeys as K
from handoff import auth
from handoff.accounts import Account, AccountStore
from handoff.orderpanel import order_panel
from handoff.queue import HandoffStore
from handoff.rasa_client import RasaClient, RasaUnavailable
from handoff.sockets import SocketHub
from handoff.storage import ConversationStore
from handoff.textinput import InputError, check_conversation_id, clean_text
from handoff.translation import Translator, relay, translate_or_none

LOG = logging.getLogger("handoff.desk")
CANNED_DIR = Path(__file__).with_name("canned")


@lru_cache(maxsize=None)
def canned(lang: str) -> tuple[dict[str, str], ...]:
    path = CANNED_DIR / f"{lang}.yml"
    if not path.exists():
        path = CANNED_DIR / "en.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple({"id": c["id"], "title": c["title"], "text": c["text"]} for c in doc["canned"])


class DeskError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AgentConnection:
    """One agent socket; a sink for the chats it has open."""

    def __init__(self, desk: Desk, account: Account, ws: web.WebSocketResponse) -> None:
        self.desk = desk
        self.account = account
        self.ws = ws
        self.open: set[str] = set()

    @property
    def closed(self) -> bool:
        return self.ws.closed

    async def send(self, message: dict[str, Any]) -> None:
        if not self.ws.closed:
            await self.ws.send_json(message)

    async def close(self) -> None:
        await self.ws.close()

    async def deliver(self, conv_id: str, message: dict[str, Any]) -> None:
        if message["type"] == "entry":
            entry = await self.desk.view_entry(message["entry"], self.account.language)
            await self.send({"type": "entry", "conversation_id": conv_id, "entry": entry})
        elif message["type"] == "typing":
            if message.get("login") != self.account.login:
                await self.send({"type": "typing", "conversation_id": conv_id,
                                 "speaker": message.get("speaker")})
        else:
            await self.send({**message, "conversation_id": conv_id})


class Desk:
    def __init__(self, redis: Any, store: ConversationStore, handoff: HandoffStore,
                 accounts: AccountStore, rasa: RasaClient, translator: Translator,
                 hub: SocketHub, max_text_chars: int = 5000) -> None:
        self.redis = redis
        self.store = store
        self.handoff = handoff
        self.accounts = accounts
        self.rasa = rasa
        self.translator = translator
        self.hub = hub
        self.max_text_chars = max_text_chars
        self.connections: dict[str, set[AgentConnection]] = defaultdict(set)
        self._refresh_pending = False
        hub.queue_listeners.append(self.on_queue_changed)
        hub.agent_listeners.append(self.on_agent_event)

    # ---------- views ----------
    async def view_entry(self, entry: dict[str, Any], agent_lang: str) -> dict[str, Any]:
        """A transcript entry as an agent sees it: in their language, original beside."""
        speaker = entry.get("speaker")
        if speaker == "agent":
            source_text = entry.get("original") or entry.get("text", "")
            source_lang = entry.get("source_language") or entry.get("language") or "en"
        else:
            source_text = entry.get("text", "")
            source_lang = entry.get("language") or "en"
        shown, translated = source_text, False
        if source_lang != agent_lang and source_lang not in ("und", None):
            if agent_lang == "en" and entry.get("translation_en"):
                shown, translated = entry["translation_en"], True
            elif agent_lang == "en" and speaker == "bot" and entry.get("original"):
                shown, translated = entry["original"], True
            else:
                out = await relay(self.translator, source_text, source_lang, agent_lang)
                shown, translated = out["text"], out["translated"]
        return {"seq": entry.get("seq"), "at": entry.get("at"), "speaker": speaker,
                "agent": entry.get("agent"), "text": shown, "translated": translated,
                "original": source_text, "language": source_lang,
                "notice": entry.get("notice")}

    async def routing_view(self, account: Account, now: float | None = None
                           ) -> dict[str, Any]:
        """The queue for one agent: every chat with whether they may claim it and why."""
        now = time.time() if now is None else now
        items = await self.handoff.queued(now)
        available = [a for a in [await self.accounts.get(x)
                                 for x in await self.handoff.available_agents(now)] if a]
        speakers = {lang for a in available for lang in a.languages}
        team_covered = {t for a in available for t in a.teams}
        for item in items:
            lang, team = item.get("language") or "en", item.get("team") or "general"
            speaks = lang in account.languages
            in_team = team in account.teams or team not in team_covered
            item["speaks_language"] = speaks
            item["needs_translation"] = not speaks
            item["claimable"] = in_team and (speaks or lang not in speakers)
            item["route_note"] = (
                "" if item["claimable"] else
                f"routed to team {team}" if not in_team else
                f"an available colleague speaks {lang}")
        return {"type": "queue", "now": now, "items": items,
                "mine": await self.handoff.owned(account.login, now),
                "status": (await self.handoff.status(account.login)).get("status", "away"),
                "agents_available": [a.login for a in available]}

    # ---------- fan-out ----------
    async def on_queue_changed(self, conv_id: str) -> None:
        """Debounced: one refresh for a burst of queue changes."""
        if self._refresh_pending or not self.connections:
            return
        self._refresh_pending = True
        await asyncio.sleep(0.05)
        self._refresh_pending = False
        for login, conns in list(self.connections.items()):
            if not conns:
                continue
            view = await self.routing_view(next(iter(conns)).account)
            for conn in list(conns):
                await conn.send(view)

    async def on_agent_event(self, login: str, event: dict[str, Any]) -> None:
        for conn in list(self.connections.get(login, ())):
            await conn.send({"type": event.get("event", "event"),
                             **{k: v for k, v in event.items() if k != "event"}})
            if event.get("event") == "assigned":
                await self.open_chat(conn, event["conversation_id"])

    async def heartbeat_loop(self, every_s: float) -> None:
        while True:
            for login in [x for x, conns in self.connections.items() if conns]:
                await self.handoff.heartbeat(login)
            await asyncio.sleep(every_s)

    async def sweep_loop(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                for conv_id, login in await self.handoff.sweep():
                    account = await self.accounts.get(login)
                    await self.notice(conv_id, "agent_left",
                                      agent=account.name if account else login)
                    await self.store.publish(conv_id, "mode", mode="queued", agent_name=None)
                    LOG.info("chat_requeued_after_grace", extra={"conversation_id": conv_id,
                                                                  "agent": login})
            except Exception:  # noqa: BLE001 - keep sweeping
                LOG.exception("sweep_failed")

    # ---------- shopper-facing notices ----------
    async def notice(self, conv_id: str, key: str, **params: Any) -> None:
        """A system line in the shopper's language (English + translation when not native)."""
        lang = (await self.store.meta(conv_id)).get("language") or "en"
        text = copy.render(key, lang, **params)
        if not language.is_native(lang):
            text = await translate_or_none(self.translator, text, "en", lang) or text
        await self.store.append(conv_id, {"speaker": "system", "text": text,
                                          "language": lang, "notice": key})

    # ---------- operations ----------
    async def _owned(self, conv_id: str, account: Account) -> dict[str, str]:
        meta = await self.store.meta(conv_id)
        if meta.get("mode") != "agent" or meta.get("owner") != account.login:
            raise DeskError("not_yours", "this chat is not assigned to you")
        return meta

    async def open_chat(self, conn: AgentConnection, conv_id: str) -> None:
        meta = await self.store.meta(conv_id)
        if not meta:
            raise DeskError("unknown_conversation", f"no conversation {conv_id!r}")
        mine = meta.get("owner") == conn.account.login
        if not (mine or meta.get("mode") == "queued" or conn.account.has("admin")):
            raise DeskError("not_visible", "only queued chats and your own can be opened")
        self.hub.add(conv_id, conn)  # live entries from now on, then the history
        conn.open.add(conv_id)
        history = await self.store.history(conv_id)
        entries = [await self.view_entry(e, conn.account.language) for e in history]
        panel = await asyncio.get_running_loop().run_in_executor(
            None, order_panel, meta.get("order_id"), meta.get("last_intent"))
        escalation = json.loads(meta.get("escalation") or "{}")
        await conn.send({"type": "transcript", "conversation_id": conv_id,
                         "entries": entries, "order": panel, "mine": mine,
                         "meta": {k: meta.get(k) for k in (
                             "mode", "language", "country", "priority", "team", "owner",
                             "owner_name", "order_id", "customer_tier", "queued_at",
                             "sla_due", "last_intent")},
                         "reasons": escalation.get("reasons", [])})

    async def claim(self, conn: AgentConnection, conv_id: str) -> None:
        view = await self.routing_view(conn.account)
        item = next((i for i in view["items"] if i["conversation_id"] == conv_id), None)
        if item is None:
            raise DeskError("not_queued", "this chat is no longer in the queue")
        if not item["claimable"] and not conn.account.has("admin"):
            raise DeskError("routed_elsewhere", item["route_note"])
        if not await self.handoff.claim(conv_id, conn.account.login, conn.account.name):
            raise DeskError("already_claimed", "a colleague took this chat a moment ago")
        LOG.info("chat_claimed", extra={"conversation_id": conv_id,
                                         "agent": conn.account.login})
        await self.notice(conv_id, "agent_joined", agent=conn.account.name)
        await self.store.publish(conv_id, "mode", mode="agent", agent_name=conn.account.name)
        await self.open_chat(conn, conv_id)

    async def reply(self, conn: AgentConnection, conv_id: str, text: str) -> dict[str, Any]:
        meta = await self._owned(conv_id, conn.account)
        shopper_lang = meta.get("language") or "en"
        out = await relay(self.translator, text, conn.account.language, shopper_lang)
        entry = await self.store.append(conv_id, {
            "speaker": "agent", "text": out["text"], "original": text,
            "language": shopper_lang if out["translated"] or
            conn.account.language == shopper_lang else conn.account.language,
            "source_language": conn.account.language,
            "agent": {"login": conn.account.login, "name": conn.account.name}})
        await self.handoff.first_response(conv_id)
        try:  # the bot's tracker learns what the person said
            await self.rasa.add_events(conv_id, [{
                "event": "bot", "text": out["text"], "timestamp": time.time(),
                "metadata": {"agent": conn.account.login}}])
        except RasaUnavailable as exc:
            LOG.warning("tracker_write_failed", extra={"conversation_id": conv_id,
                                                        "error": str(exc)})
        return entry

    async def transfer(self, conn: AgentConnection, conv_id: str, to_agent: str | None,
                       to_team: str | None) -> None:
        await self._owned(conv_id, conn.account)
        if to_agent:
            target = await self.accounts.get(to_agent)
            if target is None or not target.has("agent"):
                raise DeskError("unknown_agent", f"no agent {to_agent!r}")
            if target.login == conn.account.login:
                raise DeskError("same_agent", "the chat is already yours")
            await self.notice(conv_id, "agent_transferred", agent=conn.account.name)
            if not await self.handoff.transfer_to_agent(conv_id, conn.account.login,
                                                        target.login, target.name):
                raise DeskError("not_yours", "this chat is not assigned to you")
            await self.notice(conv_id, "agent_joined", agent=target.name)
            await self.store.publish(conv_id, "mode", mode="agent", agent_name=target.name)
        elif to_team:
            teams = set(self.handoff.config.teams) | {"general"}
            if to_team not in teams:
                raise DeskError("unknown_team", f"teams are {', '.join(sorted(teams))}")
            await self.notice(conv_id, "agent_transferred", agent=conn.account.name)
            if not await self.handoff.release(conv_id, conn.account.login, team=to_team):
                raise DeskError("not_yours", "this chat is not assigned to you")
            await self.store.publish(conv_id, "mode", mode="queued", agent_name=None)
        else:
            raise DeskError("bad_transfer", "give to_agent or to_team")
        self._close_view(conn, conv_id)

    async def release(self, conn: AgentConnection, conv_id: str) -> None:
        await self._owned(conv_id, conn.account)
        if not await self.handoff.release(conv_id, conn.account.login):
            raise DeskError("not_yours", "this chat is not assigned to you")
        await self.notice(conv_id, "agent_left", agent=conn.account.name)
        await self.store.publish(conv_id, "mode", mode="queued", agent_name=None)
        self._close_view(conn, conv_id)

    async def close(self, conn: AgentConnection, conv_id: str, resolution: str,
                    issue_type: str, note: str = "") -> str:
        cfg = self.handoff.config
        if resolution not in cfg.resolutions:
            raise DeskError("bad_resolution", f"resolution is one of {', '.join(cfg.resolutions)}")
        if issue_type not in cfg.issue_types:
            raise DeskError("bad_issue_type", f"issue type is one of {', '.join(cfg.issue_types)}")
        meta = await self._owned(conv_id, conn.account)
        now = time.time()
        if not await self.handoff.finish(conv_id, conn.account.login):
            raise DeskError("not_yours", "this chat is not assigned to you")
        escalation = json.loads(meta.get("escalation") or "{}")
        queued_at = float(meta.get("queued_at") or now)
        first = float(meta["first_response_at"]) if meta.get("first_response_at") else None
        from handoff.conversations import order_email

        case_id = await self.handoff.record_case(conv_id, {
            "order_id": meta.get("order_id"), "email": order_email(meta.get("order_id")),
            "issue_type": issue_type, "resolution": resolution, "note": note[:1000] or None,
            "resolved_by": conn.account.login, "language": meta.get("language"),
            "country": meta.get("country"), "priority": meta.get("priority"),
            "reasons": [r.get("code") for r in escalation.get("reasons", [])],
            "waited_s": round(float(meta.get("claimed_at") or now) - queued_at, 1),
            "first_response_s": round(first - queued_at, 1) if first else None,
            "sla_breached": (first or now) > float(meta.get("sla_due") or now)}, now)
        LOG.info("chat_closed", extra={"conversation_id": conv_id, "case_id": case_id,
                                        "resolution": resolution, "issue_type": issue_type})
        await self.notice(conv_id, "chat_closed", agent=conn.account.name)
        await self.store.publish(conv_id, "mode", mode="bot", agent_name=None)
        self._close_view(conn, conv_id)
        return case_id

    async def hand_back(self, conn: AgentConnection, conv_id: str) -> None:
        await self._owned(conv_id, conn.account)
        if not await self.handoff.finish(conv_id, conn.account.login):
            raise DeskError("not_yours", "this chat is not assigned to you")
        try:  # the bot starts clean: no half-finished question or offer from before
            await self.rasa.add_events(conv_id, [
                {"event": "slot", "name": name, "value": None, "timestamp": time.time()}
                for name in ("pending_request", "pending_offer")] + [
                {"event": "slot", "name": "fallback_count", "value": 0,
                 "timestamp": time.time()}])
        except RasaUnavailable as exc:
            LOG.warning("tracker_write_failed", extra={"conversation_id": conv_id,
                                                        "error": str(exc)})
        await self.notice(conv_id, "handback_bot", agent=conn.account.name)
        await self.store.publish(conv_id, "mode", mode="bot", agent_name=None)
        LOG.info("chat_handed_back", extra={"conversation_id": conv_id,
                                             "agent": conn.account.login})
        self._close_view(conn, conv_id)

    def _close_view(self, conn: AgentConnection, conv_id: str) -> None:
        conn.open.discard(conv_id)
        self.hub.remove(conv_id, conn)

    # ---------- socket protocol ----------
    async def handle(self, conn: AgentConnection, body: dict[str, Any]) -> dict[str, Any]:
        op = body.get("type")
        conv_id = body.get("conversation_id")
        if op not in ("status", "refresh"):
            conv_id = check_conversation_id(conv_id if isinstance(conv_id, str) else "")
        if op == "status":
            status = body.get("status")
            if status not in ("available", "away"):
                raise DeskError("bad_status", "status is available or away")
            await self.handoff.set_status(conn.account.login, status)
        elif op == "refresh":
            await conn.send(await self.routing_view(conn.account))
        elif op == "open":
            await self.open_chat(conn, conv_id)
        elif op == "close_view":
            self._close_view(conn, conv_id)
        elif op == "claim":
            await self.claim(conn, conv_id)
        elif op in ("message", "canned"):
            text = body.get("text")
            if op == "canned":
                item = next((c for c in canned(conn.account.language)
                             if c["id"] == body.get("id")), None)
                if item is None:
                    raise DeskError("unknown_canned", "no such canned reply")
                text = item["text"]
            cleaned = clean_text(text, self.max_text_chars)
            return {"entry": await self.reply(conn, conv_id, cleaned.original)}
        elif op == "typing":
            await self._owned(conv_id, conn.account)
            await self.store.publish(conv_id, "typing", speaker="agent",
                                     login=conn.account.login)
        elif op == "transfer":
            await self.transfer(conn, conv_id, body.get("to_agent") or None,
                                body.get("to_team") or None)
        elif op == "release":
            await self.release(conn, conv_id)
        elif op == "close":
            return {"case_id": await self.close(
                conn, conv_id, str(body.get("resolution")), str(body.get("issue_type")),
                str(body.get("note") or ""))}
        elif op == "handback":
            await self.hand_back(conn, conv_id)
        else:
            raise DeskError("unknown_op", f"unknown message type {op!r}")
        return {}

    async def hello(self, conn: AgentConnection) -> dict[str, Any]:
        cfg = self.handoff.config
        agents = [a.public() for a in await self.accounts.all() if a.has("agent")]
        return {"type": "hello", "account": conn.account.public(),
                "canned": list(canned(conn.account.language)),
                "resolutions": list(cfg.resolutions), "issue_types": list(cfg.issue_types),
                "teams": sorted(set(cfg.teams) | {"general"}),
                "agents": [{"login": a["login"], "name": a["name"],
                            "languages": a["languages"], "teams": a["teams"]}
                           for a in agents],
                "grace_s": cfg.grace_s}


async def agent_socket(request: web.Request) -> web.StreamResponse:
    """The console's websocket: login required (401/403 before the upgrade)."""
    from handoff.app import origin_allowed

    account = await auth.require(request, "agent")
    if not origin_allowed(request):
        raise InputError(403, "origin_not_allowed", "this site may not open the console")
    desk = request.app[K.DESK]
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=64 * 1024)
    await ws.prepare(request)
    conn = AgentConnection(desk, account, ws)
    desk.connections[account.login].add(conn)
    await desk.handoff.heartbeat(account.login)
    LOG.info("agent_connected", extra={"agent": account.login})
    try:
        await conn.send(await desk.hello(conn))
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
                result = await desk.handle(conn, body)
                await conn.send({"type": "ok", "ref": ref, "op": body.get("type"), **result})
            except json.JSONDecodeError:
                await conn.send({"type": "error", "code": "bad_json", "message": "not JSON"})
            except (DeskError, InputError) as exc:
                await conn.send({"type": "error", "ref": ref, "code": exc.code,
                                 "message": exc.message})
    finally:
        desk.connections[account.login].discard(conn)
        for conv_id in list(conn.open):
            desk.hub.remove(conv_id, conn)
        LOG.info("agent_disconnected", extra={"agent": account.login})
    return ws
