"""A shopper message end to end: language, transcript, bot reply, handoff signal."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from bot import language
from handoff import scoring
from handoff.escalation import Escalation, from_bot_handoff
from handoff.rasa_client import RasaClient, RasaUnavailable
from handoff.storage import ConversationStore
from handoff.textinput import ShopperText
from handoff.translation import ENGLISH_NOTE, NoTranslator, Translator, translate_or_none

LOG = logging.getLogger("handoff.conversations")

# Said when the bot itself is unreachable: the message is already saved.
BOT_DOWN = {
    "en": "Sorry, I can't look this up right now. Your message is saved and our team will "
          "answer here as soon as possible.",
}


def country_language(country: str | None) -> str | None:
    """The language shoppers of a destination country usually write (policies.yml)."""
    if not country:
        return None
    from shop.policy import load_policies

    policy = load_policies().countries.get(country)
    return policy.language if policy else None


class Conversations:
    def __init__(self, store: ConversationStore, rasa: RasaClient,
                 translator: Translator | None = None) -> None:
        self.store = store
        self.rasa = rasa
        self.translator = translator or NoTranslator()

    async def shopper_message(self, conv_id: str, text: ShopperText,
                              metadata: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        meta = await self.store.meta(conv_id)
        # hints, never overrides: the page locale, else the order's destination country
        hint = metadata.get("locale") or meta.get("locale") or country_language(
            meta.get("country"))
        detection = language.detect(text.plain, hint=hint)
        if text.plain.startswith("/"):  # a button payload carries no language
            detection = language.Detection(None, 0.0, False, "none")
        lang = language.choose(meta.get("language"), detection, hint=hint)
        mode = meta.get("mode", "bot")
        shown = text.original
        if text.plain.startswith("/") and isinstance(metadata.get("display"), str):
            shown = metadata["display"][:200]  # a quick-reply button: keep what it said
        native = language.is_native(lang)
        bot_lang = lang if native else "en"
        bot_text = text.plain
        english: str | None = None
        if not native and not text.plain.startswith("/"):
            # the bot works in English for languages we do not write natively
            english = await translate_or_none(self.translator, text.plain, lang, "en")
            bot_text = english or text.plain
        shopper_entry: dict[str, Any] = {"speaker": "shopper", "text": shown, "language": lang}
        if english is not None:
            shopper_entry["translation_en"] = english
        await self.store.append_many(
            conv_id, [shopper_entry],
            meta={"language": lang, "locale": metadata.get("locale"), "mode": mode})
        rasa_meta = {k: v for k, v in metadata.items()
                     if k in {"locale", "customer_token", "page"}}

        rasa_meta["language"] = bot_lang
        escalation = Escalation()
        replies: list[dict[str, Any]] = []
        nlu: dict[str, Any] = {}
        degraded = False
        handed_over = False
        rasa_started = time.perf_counter()
        try:
            raw = await self.rasa.send(conv_id, bot_text, rasa_meta)
        except RasaUnavailable as exc:
            LOG.error("rasa_unavailable", extra={"conversation_id": conv_id, "error": str(exc)})
            raw = [{"text": BOT_DOWN.get(bot_lang, BOT_DOWN["en"])}]
            degraded = True
        rasa_ms = round((time.perf_counter() - rasa_started) * 1000, 1)
        translation_failed = False
        order_info: dict[str, Any] = {}
        for item in raw:
            custom = item.get("custom") or {}
            if "order" in custom:
                order_info = custom["order"]
            if "nlu" in custom:
                nlu = custom["nlu"]
            if "handoff" in custom:
                escalation = from_bot_handoff(custom["handoff"].get("reason", "human"))
                handed_over = True
            if item.get("text"):
                reply = {"text": item["text"]}
                if item.get("buttons"):
                    reply["buttons"] = item["buttons"]
                replies.append(reply)
        if not native:
            replies, translation_failed = await self._localize(replies, lang)
        streak = int(meta.get("fallback_streak", 0) or 0)
        streak = streak + 1 if nlu.get("intent") == "nlu_fallback" else 0
        value = order_info.get("value_usd", meta.get("order_value_usd"))
        scored = scoring.score(english or text.plain, scoring.Context(
            language="en" if english else lang, intent=nlu.get("intent"),
            order_value_usd=float(value) if value not in (None, "") else None,
            customer_tier=order_info.get("customer_tier", meta.get("customer_tier")),
            previous_texts=tuple(json.loads(meta.get("recent_texts", "[]"))),
            fallback_streak=streak))
        if escalation.escalate:  # the bot itself handed over: keep its reason first
            escalation = Escalation(True, max(escalation.score, scored.score),
                                    escalation.priority if scored.priority in {"none", "low"}
                                    else scored.priority,
                                    escalation.reasons + tuple(
                                        r for r in scored.reasons
                                        if r.code not in {x.code for x in escalation.reasons}),
                                    scored.sentiment)
        else:
            escalation = scored
        recent = (json.loads(meta.get("recent_texts", "[]")) + [text.plain[:500]])[-5:]
        after: dict[str, Any] = {"last_intent": nlu.get("intent"), "fallback_streak": streak,
                                 "recent_texts": json.dumps(recent, ensure_ascii=False)}
        if order_info:
            after.update(order_id=order_info.get("order_id"),
                         order_value_usd=order_info.get("value_usd"),
                         customer_tier=order_info.get("customer_tier"),
                         country=order_info.get("country"))
        if escalation.escalate:
            after.update(escalation=json.dumps(escalation.as_dict(), ensure_ascii=False))
            LOG.info("escalation_decision", extra={
                "conversation_id": conv_id, "score": escalation.score,
                "priority": escalation.priority,
                "reasons": [r.code for r in escalation.reasons]})
        if escalation.escalate and any(r.code in {"human", "bot_failure"}
                                        for r in escalation.reasons) and handed_over:
            # the bot told the shopper a person takes over (the agent queue is the next
            # milestone); score-only escalations are reported but change nothing yet
            mode = "queued"
            after.update(mode=mode, queued_reason=escalation.reasons[0].code)
        await self.store.append_many(
            # (Redis' cjson turns an empty list into {}: leave "buttons" out instead)
            conv_id, [{"speaker": "bot", "text": r["text"], "language": r.get("language", bot_lang),
                       "intent": nlu.get("intent"),
                       **({"original": r["original"]} if r.get("original") else {}),
                       **({"buttons": r["buttons"]} if r.get("buttons") else {})}
                      for r in replies],
            meta=after)
        try:  # trainer review inbox (unsure, fallback, escalated); must never break a chat
            from handoff.trainer.inbox import Inbox

            await Inbox(self.store.redis).consider(
                conv_id=conv_id, seq=None, text=bot_text, language=bot_lang,
                intent=nlu.get("intent"), confidence=nlu.get("confidence"),
                escalated=escalation.escalate, reasons=[r.code for r in escalation.reasons])
        except Exception:  # noqa: BLE001
            LOG.warning("inbox_failed", exc_info=True, extra={"conversation_id": conv_id})
        LOG.info("shopper_message", extra={
            "conversation_id": conv_id, "language": lang, "intent": nlu.get("intent"),
            "confidence": nlu.get("confidence"), "replies": len(replies), "mode": mode,
            "escalate": escalation.escalate, "degraded": degraded,
            "ms": round((time.perf_counter() - started) * 1000, 1), "rasa_ms": rasa_ms})
        return {"replies": [{k: v for k, v in r.items() if k in {"text", "buttons"}}
                            for r in replies],
                "language": lang, "mode": mode,
                "escalation": escalation.as_dict(), "intent": nlu.get("intent"),
                "sentiment": escalation.sentiment,
                "degraded": degraded, "translated": not native and not translation_failed}

    async def _localize(self, replies: list[dict[str, Any]], lang: str
                        ) -> tuple[list[dict[str, Any]], bool]:
        """English bot replies into the shopper's language; on failure, English plus one
        sentence in their language saying so (never silence)."""
        out: list[dict[str, Any]] = []
        failed = False
        for reply in replies:
            translated = None if failed else await translate_or_none(
                self.translator, reply["text"], "en", lang)
            if translated is None:
                failed = True
                out.append({**reply, "language": "en"})
                continue
            item = {**reply, "text": translated, "original": reply["text"], "language": lang}
            if reply.get("buttons"):
                item["buttons"] = [
                    {**b, "title": await translate_or_none(self.translator, b["title"], "en",
                                                           lang) or b["title"]}
                    for b in reply["buttons"]]
            out.append(item)
        if failed:
            # keep what did translate, but say once why the rest is in English
            note = ENGLISH_NOTE.get(lang)
            out = [{**r, "text": r.get("original", r["text"]), "language": "en"} for r in out]
            if note:
                out.insert(0, {"text": note, "language": lang})
        return out, failed
