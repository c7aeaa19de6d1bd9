"""Every agent operation: claim, reply, transfer, release, close, hand back; live fan-out.

Agents work in their own language: shopper and bot turns reach them translated, with the
original beside it; their replies reach the shopper translated back. All state is in
Redis (handoff.routing.queue.HandoffStore), so any gateway can serve any agent.

Over 300 lines: every agent operation is one guarded sequence (check owner, move in Redis,
notice to the shopper, publish the mode) on the same few collaborators; split per operation
they would each repeat the constructor and guards.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from bot import copy, language
from handoff import events, keys
from handoff.accounts.store import Account, AccountStore
from handoff.cases.csat import Csat
from handoff.cases.events import EventBus
from handoff.cases.schema import Case
from handoff.cases.writer import CaseWriter
from handoff.channels.hub import SocketHub
from handoff.conversations.store import ConversationStore
from handoff.desk import views
from handoff.desk.orderpanel import order_panel
from handoff.errors import DomainError
from handoff.rasa_client import RasaClient, RasaUnavailable
from handoff.routing.queue import HandoffStore
from handoff.shopdata import order_email
from handoff.translation import Translator, relay, translate_or_none

if TYPE_CHECKING:
    from handoff.desk.connection import AgentConnection

LOG = logging.getLogger("handoff.desk")


class DeskError(DomainError):
    """An agent operation that cannot be done (not yours, already claimed, ...)."""

    status = 409


class Desk:
    def __init__(
        self,
        redis: Any,
        store: ConversationStore,
        handoff: HandoffStore,
        accounts: AccountStore,
        rasa: RasaClient,
        translator: Translator,
        hub: SocketHub,
        max_text_chars: int = 5000,
        csat: Csat | None = None,
    ) -> None:
        self.redis = redis
        self.store = store
        self.handoff = handoff
        self.accounts = accounts
        self.rasa = rasa
        self.translator = translator
        self.hub = hub
        self.max_text_chars = max_text_chars
        self.cases = CaseWriter(redis)
        self.facts = EventBus(redis)  # the review loop's event stream
        self.csat = csat or Csat(redis, handoff)
        self.connections: dict[str, set[AgentConnection]] = defaultdict(set)
        self._refresh_pending = False
        hub.queue_listeners.append(self.on_queue_changed)
        hub.agent_listeners.append(self.on_agent_event)

    # ---------- views ----------
    async def view_entry(self, entry: dict[str, Any], agent_lang: str) -> dict[str, Any]:
        return await views.entry_view(self.translator, entry, agent_lang)

    async def routing_view(self, account: Account, now: float | None = None) -> dict[str, Any]:
        return await views.routing_view(self.handoff, self.accounts, account, now)

    # ---------- fan-out ----------
    async def on_queue_changed(self, conv_id: str) -> None:
        """Debounced: one refresh for a burst of queue changes."""
        if self._refresh_pending or not self.connections:
            return
        self._refresh_pending = True
        await asyncio.sleep(0.05)
        self._refresh_pending = False
        for conns in list(self.connections.values()):
            if not conns:
                continue
            view = await self.routing_view(next(iter(conns)).account)
            for conn in list(conns):
                await conn.send(view)

    async def on_agent_event(self, login: str, event: dict[str, Any]) -> None:
        for conn in list(self.connections.get(login, ())):
            await conn.send(
                {
                    "type": event.get("event", "event"),
                    **{k: v for k, v in event.items() if k != "event"},
                }
            )
            if event.get("event") == events.ASSIGNED:
                await self.open_chat(conn, event["conversation_id"])

    async def _heartbeat_local(self) -> None:
        for login in [x for x, conns in self.connections.items() if conns]:
            await self.handoff.heartbeat(login)

    async def heartbeat_loop(self, every_s: float) -> None:
        """Keep this gateway's connected agents present; survives Redis outages (an agent
        whose socket stayed open must not lose their chats to the sweep afterwards)."""
        while True:
            try:
                await self._heartbeat_local()
            except (RedisError, OSError) as exc:
                LOG.warning("heartbeat_failed", extra={"error": repr(exc)})
            await asyncio.sleep(every_s)

    async def sweep_loop(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                await self._heartbeat_local()  # after an outage, ours first
                for conv_id, login in await self.handoff.sweep():
                    account = await self.accounts.get(login)
                    await self.notice(
                        conv_id, "agent_left", agent=account.name if account else login
                    )
                    await self.store.publish(conv_id, events.MODE, mode="queued", agent_name=None)
                    LOG.info(
                        "chat_requeued_after_grace",
                        extra={"conversation_id": conv_id, "agent": login},
                    )
            except Exception:  # noqa: BLE001 - keep sweeping
                LOG.exception("sweep_failed")

    # ---------- shopper-facing notices ----------
    async def notice(self, conv_id: str, key: str, **params: Any) -> None:
        """A system line in the shopper's language (English + translation when not native)."""
        lang = (await self.store.meta(conv_id)).get("language") or "en"
        text = copy.render(key, lang, **params)
        if not language.is_native(lang):
            text = await translate_or_none(self.translator, text, "en", lang) or text
        await self.store.append(
            conv_id, {"speaker": "system", "text": text, "language": lang, "notice": key}
        )

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
            None, order_panel, meta.get("order_id"), meta.get("last_intent")
        )
        escalation = json.loads(meta.get("escalation") or "{}")
        by_email = await self.redis.sismember(keys.EMAIL_CONVERSATIONS, conv_id)
        await conn.send(
            {
                "type": events.TRANSCRIPT,
                "conversation_id": conv_id,
                "entries": entries,
                "order": panel,
                "mine": mine,
                "meta": {
                    k: meta.get(k)
                    for k in (
                        "mode",
                        "language",
                        "country",
                        "priority",
                        "team",
                        "owner",
                        "owner_name",
                        "order_id",
                        "customer_tier",
                        "queued_at",
                        "sla_due",
                        "last_intent",
                        "csat_rating",
                        "csat_comment",
                        "csat_agent",
                    )
                }
                | {"channel": "email" if by_email else "chat"},
                "reasons": escalation.get("reasons", []),
            }
        )

    async def claim(self, conn: AgentConnection, conv_id: str) -> None:
        view = await self.routing_view(conn.account)
        item = next((i for i in view["items"] if i["conversation_id"] == conv_id), None)
        if item is None:
            raise DeskError("not_queued", "this chat is no longer in the queue")
        if not item["claimable"] and not conn.account.has("admin"):
            raise DeskError("routed_elsewhere", item["route_note"])
        if not await self.handoff.claim(conv_id, conn.account.login, conn.account.name):
            raise DeskError("already_claimed", "a colleague took this chat a moment ago")
        LOG.info("chat_claimed", extra={"conversation_id": conv_id, "agent": conn.account.login})
        await self.facts.emit_quietly("claimed", conv_id, agent=conn.account.login)
        await self.notice(conv_id, "agent_joined", agent=conn.account.name)
        await self.store.publish(conv_id, events.MODE, mode="agent", agent_name=conn.account.name)
        await self.open_chat(conn, conv_id)

    async def reply(self, conn: AgentConnection, conv_id: str, text: str) -> dict[str, Any]:
        meta = await self._owned(conv_id, conn.account)
        shopper_lang = meta.get("language") or "en"
        out = await relay(self.translator, text, conn.account.language, shopper_lang)
        entry = await self.store.append(
            conv_id,
            {
                "speaker": "agent",
                "text": out["text"],
                "original": text,
                "language": shopper_lang
                if out["translated"] or conn.account.language == shopper_lang
                else conn.account.language,
                "source_language": conn.account.language,
                "agent": {"login": conn.account.login, "name": conn.account.name},
            },
        )
        await self.handoff.first_response(conv_id)
        if not meta.get("first_response_at"):
            queued_at = float(meta.get("queued_at") or time.time())
            await self.facts.emit_quietly(
                "first_human_reply", conv_id, agent=conn.account.login,
                first_response_s=round(time.time() - queued_at, 1),
            )  # fmt: skip
        try:  # the bot's tracker learns what the person said
            await self.rasa.add_events(
                meta.get("rasa_sender") or conv_id,
                [
                    {
                        "event": "bot",
                        "text": out["text"],
                        "timestamp": time.time(),
                        "metadata": {"agent": conn.account.login},
                    }
                ],
            )
            await self.store.count_tracker_event(conv_id)
        except RasaUnavailable as exc:
            LOG.warning(
                "tracker_write_failed", extra={"conversation_id": conv_id, "error": str(exc)}
            )
        return entry

    async def transfer(
        self, conn: AgentConnection, conv_id: str, to_agent: str | None, to_team: str | None
    ) -> None:
        await self._owned(conv_id, conn.account)
        if to_agent:
            target = await self.accounts.get(to_agent)
            if target is None or not target.has("agent"):
                raise DeskError("unknown_agent", f"no agent {to_agent!r}")
            if target.login == conn.account.login:
                raise DeskError("same_agent", "the chat is already yours")
            await self.notice(conv_id, "agent_transferred", agent=conn.account.name)
            if not await self.handoff.transfer_to_agent(
                conv_id, conn.account.login, target.login, target.name
            ):
                raise DeskError("not_yours", "this chat is not assigned to you")
            await self.notice(conv_id, "agent_joined", agent=target.name)
            await self.store.publish(conv_id, events.MODE, mode="agent", agent_name=target.name)
        elif to_team:
            teams = set(self.handoff.config.teams) | {"general", self.handoff.config.lead_team}
            if to_team not in teams:
                raise DeskError("unknown_team", f"teams are {', '.join(sorted(teams))}")
            await self.notice(conv_id, "agent_transferred", agent=conn.account.name)
            if not await self.handoff.release(conv_id, conn.account.login, team=to_team):
                raise DeskError("not_yours", "this chat is not assigned to you")
            await self.store.publish(conv_id, events.MODE, mode="queued", agent_name=None)
        else:
            raise DeskError("bad_transfer", "give to_agent or to_team")
        self.close_view(conn, conv_id)

    async def release(self, conn: AgentConnection, conv_id: str) -> None:
        await self._owned(conv_id, conn.account)
        if not await self.handoff.release(conv_id, conn.account.login):
            raise DeskError("not_yours", "this chat is not assigned to you")
        await self.notice(conv_id, "agent_left", agent=conn.account.name)
        await self.store.publish(conv_id, events.MODE, mode="queued", agent_name=None)
        self.close_view(conn, conv_id)

    async def close(
        self, conn: AgentConnection, conv_id: str, resolution: str, issue_type: str, note: str = ""
    ) -> str:
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
        case_id = await self.cases.record(
            Case(
                conversation_id=conv_id,
                order_id=meta.get("order_id"),
                email=order_email(meta.get("order_id")),
                country=meta.get("country"),
                issue_type=issue_type,
                resolution=resolution,
                note=note[:1000] or None,
                resolved_by=conn.account.login,
                language=meta.get("language"),
                priority=meta.get("priority"),
                reasons=tuple(r.get("code") for r in escalation.get("reasons", [])),
                waited_s=round(float(meta.get("claimed_at") or now) - queued_at, 1),
                first_response_s=round(first - queued_at, 1) if first else None,
                sla_breached=(first or now) > float(meta.get("sla_due") or now),
            ),
            now,
        )
        LOG.info(
            "chat_closed",
            extra={
                "conversation_id": conv_id,
                "case_id": case_id,
                "resolution": resolution,
                "issue_type": issue_type,
            },
        )
        await self.facts.emit_quietly(
            "closed", conv_id, agent=conn.account.login, issue_type=issue_type,
            resolution=resolution, case_id=case_id,
        )  # fmt: skip
        await self.notice(conv_id, "chat_closed", agent=conn.account.name)
        await self.store.publish(conv_id, events.MODE, mode="bot", agent_name=None)
        await self.csat.ask(conv_id, conn.account.login)
        self.close_view(conn, conv_id)
        return case_id

    async def hand_back(self, conn: AgentConnection, conv_id: str) -> None:
        meta = await self._owned(conv_id, conn.account)
        if not await self.handoff.finish(conv_id, conn.account.login):
            raise DeskError("not_yours", "this chat is not assigned to you")
        try:  # the bot starts clean: no half-finished question or offer from before
            await self.rasa.add_events(
                meta.get("rasa_sender") or conv_id,
                [
                    {"event": "slot", "name": name, "value": None, "timestamp": time.time()}
                    for name in ("pending_request", "pending_offer")
                ]
                + [
                    {
                        "event": "slot",
                        "name": "fallback_count",
                        "value": 0,
                        "timestamp": time.time(),
                    }
                ],
            )
        except RasaUnavailable as exc:
            LOG.warning(
                "tracker_write_failed", extra={"conversation_id": conv_id, "error": str(exc)}
            )
        await self.facts.emit_quietly("handed_back", conv_id, agent=conn.account.login)
        await self.notice(conv_id, "handback_bot", agent=conn.account.name)
        await self.store.publish(conv_id, events.MODE, mode="bot", agent_name=None)
        LOG.info(
            "chat_handed_back", extra={"conversation_id": conv_id, "agent": conn.account.login}
        )
        self.close_view(conn, conv_id)

    def close_view(self, conn: AgentConnection, conv_id: str) -> None:
        conn.open.discard(conv_id)
        self.hub.remove(conv_id, conn)
