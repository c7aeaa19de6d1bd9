"""What agents see: a transcript entry in the agent's language, the queue with routing."""

from __future__ import annotations

import time
from typing import Any

from handoff import events
from handoff.accounts.store import Account, AccountStore
from handoff.routing.queue import HandoffStore
from handoff.translation import Translator, relay


async def entry_view(
    translator: Translator, entry: dict[str, Any], agent_lang: str
) -> dict[str, Any]:
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
            out = await relay(translator, source_text, source_lang, agent_lang)
            shown, translated = out["text"], out["translated"]
    return {
        "seq": entry.get("seq"),
        "at": entry.get("at"),
        "speaker": speaker,
        "agent": entry.get("agent"),
        "text": shown,
        "translated": translated,
        "original": source_text,
        "language": source_lang,
        "notice": entry.get("notice"),
    }


async def routing_view(
    handoff: HandoffStore, accounts: AccountStore, account: Account, now: float | None = None
) -> dict[str, Any]:
    """The queue for one agent: every chat with whether they may claim it and why."""
    now = time.time() if now is None else now
    items = await handoff.queued(now)
    available = [
        a for a in [await accounts.get(x) for x in await handoff.available_agents(now)] if a
    ]
    speakers = {lang for a in available for lang in a.languages}
    team_covered = {t for a in available for t in a.teams}
    lead_team = handoff.config.lead_team
    for item in items:
        lang, team = item.get("language") or "en", item.get("team") or "general"
        speaks = lang in account.languages
        in_team = team in account.teams or team not in team_covered
        item["speaks_language"] = speaks
        item["needs_translation"] = not speaks
        item["claimable"] = in_team and (speaks or lang not in speakers)
        if team == lead_team:  # a reopened low-CSAT case: leads only, whoever is online
            item["claimable"] = account.has("lead")
        item["route_note"] = (
            ""
            if item["claimable"]
            else "for a lead"
            if team == lead_team
            else f"routed to team {team}"
            if not in_team
            else f"an available colleague speaks {lang}"
        )
    return {
        "type": events.QUEUE,
        "now": now,
        "items": items,
        "mine": await handoff.owned(account.login, now),
        "status": (await handoff.status(account.login)).get("status", "away"),
        "agents_available": [a.login for a in available],
    }
