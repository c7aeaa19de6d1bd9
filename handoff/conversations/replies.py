"""What the gateway adds to the bot's replies: the honest queue notice when a person takes
over, and translation of English replies for languages we do not write natively."""

from __future__ import annotations

import time
from typing import Any

from bot import copy
from handoff.routing.queue import HandoffStore
from handoff.translation import ENGLISH_NOTE, Translator, translate_or_none


async def queue_notice(
    handoff: HandoffStore, lang: str, position: int, announced: bool, email: str | None
) -> list[dict[str, Any]]:
    """What the shopper is told when a person takes over: honest about the wait."""
    out = [] if announced else [{"text": copy.render("handoff_escalated", lang)}]
    cfg = handoff.config
    if not cfg.is_open(time.time()):
        key = "handoff_after_hours" if email else "handoff_after_hours_no_email"
        out.append({"text": copy.render(key, lang, hours=cfg.hours_label(), email=email)})
        return out
    if position < 1:  # an agent already has the chat
        return out
    seconds = await handoff.expected_wait_s(position)
    wait = (
        copy.render("wait_under_minute", lang)
        if seconds < 60
        else copy.render("wait_minutes", lang, minutes=max(2, round(seconds / 60)))
    )
    key = "handoff_queued_next" if position == 1 else "handoff_queued"
    out.append({"text": copy.render(key, lang, position=position, wait=wait)})
    return out


async def localize(
    translator: Translator, replies: list[dict[str, Any]], lang: str
) -> tuple[list[dict[str, Any]], bool]:
    """English bot replies into the shopper's language; on failure, English plus one
    sentence in their language saying so (never silence)."""
    out: list[dict[str, Any]] = []
    failed = False
    for reply in replies:
        translated = (
            None if failed else await translate_or_none(translator, reply["text"], "en", lang)
        )
        if translated is None:
            failed = True
            out.append({**reply, "language": "en"})
            continue
        item = {**reply, "text": translated, "original": reply["text"], "language": lang}
        if reply.get("buttons"):
            item["buttons"] = [
                {
                    **b,
                    "title": await translate_or_none(translator, b["title"], "en", lang)
                    or b["title"],
                }
                for b in reply["buttons"]
            ]
        out.append(item)
    if failed:
        # keep what did translate, but say once why the rest is in English
        note = ENGLISH_NOTE.get(lang)
        out = [{**r, "text": r.get("original", r["text"]), "language": "en"} for r in out]
        if note:
            out.insert(0, {"text": note, "language": lang})
    return out, failed
