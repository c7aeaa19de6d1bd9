"""A shopper message end to end: language, transcript, bot reply or human queue.

While the bot owns a chat, the message goes to Rasa and the reply back; every message is
scored, and an escalation puts the chat in the human queue with an honest notice (position
and expected wait, or an email answer outside chat hours). While the chat is queued or an
agent owns it the bot stays silent: the message is only stored, published and scored.

Over 300 lines: one message's whole path (store, bot or person, escalation, the review
loop's events, CSAT after a bot resolution) in one reading order; the bot turn itself is in
`rasa_turn`, the reply texts in `replies`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bot import language
from handoff import events
from handoff.cases.csat import Csat
from handoff.cases.events import EventBus
from handoff.conversations import rasa_turn
from handoff.conversations import replies as replies_mod
from handoff.conversations.model import Conversation, Mode
from handoff.conversations.store import ConversationStore
from handoff.conversations.text import ShopperText
from handoff.escalation import score as scoring
from handoff.escalation.result import Escalation, combine
from handoff.rasa_client import RasaClient
from handoff.routing.queue import HandoffStore
from handoff.shopdata import country_language, order_email
from handoff.trainer.inbox import Inbox
from handoff.translation import NoTranslator, Translator, translate_or_none

LOG = logging.getLogger("handoff.conversations")


def duplicate(conv: Conversation, lang: str) -> dict[str, Any]:
    """The answer to a message we already have: nothing new (replies are in the history)."""
    return {
        "replies": [],
        "language": lang,
        "mode": conv.mode.value,
        "escalation": Escalation().as_dict(),
        "intent": None,
        "sentiment": 0.0,
        "degraded": False,
        "translated": False,
        "duplicate": True,
    }


class Conversations:
    def __init__(
        self,
        store: ConversationStore,
        rasa: RasaClient,
        translator: Translator | None = None,
        handoff: HandoffStore | None = None,
        csat: Csat | None = None,
    ) -> None:
        self.store = store
        self.csat = csat  # asks "How did we do?" after a bot-resolved chat (CSAT_MODE all)
        self.rasa = rasa
        self.translator = translator or NoTranslator()
        self.handoff = handoff or HandoffStore(store.redis)
        self.inbox = Inbox(store.redis)  # the trainers' review inbox
        self.facts = EventBus(store.redis)  # the review loop's event stream

    async def shopper_message(
        self,
        conv_id: str,
        text: ShopperText,
        metadata: dict[str, Any],
        client_id: str | None = None,
    ) -> dict[str, Any]:
        """One shopper message; `client_id` (the widget's id of the message) makes a resend
        after a dropped connection idempotent: stored once, answered once."""
        started = time.perf_counter()
        conv = await self.store.get(conv_id)
        is_button = text.plain.startswith("/")
        # hints, never overrides: the page locale, else the order's destination country
        locale = metadata.get("locale")
        if not (isinstance(locale, str) and locale):
            locale = None
        hint = locale or conv.locale or country_language(conv.country)
        detection = (
            language.Detection(None, 0.0, False, "none")
            if is_button
            else language.detect(text.plain, hint=hint)
        )
        lang = language.choose(conv.language, detection, hint=hint)
        mode = conv.mode
        shown = text.original
        if is_button and isinstance(metadata.get("display"), str):
            shown = metadata["display"][:200]  # a quick-reply button: keep what it said
        native = language.is_native(lang)
        bot_lang = lang if native else "en"
        english: str | None = None
        if not native and not is_button:
            # the bot works in English for languages we do not write natively
            english = await translate_or_none(self.translator, text.plain, lang, "en")
        shopper_entry: dict[str, Any] = {"speaker": "shopper", "text": shown, "language": lang}
        if english is not None:
            shopper_entry["translation_en"] = english
        if client_id:
            shopper_entry["client_id"] = client_id
        seen = await self.store.claim_client_id(conv_id, client_id)
        if seen is None:
            [stored] = await self.store.append_many(
                conv_id,
                [shopper_entry],
                meta={"language": lang, "locale": locale, "mode": mode.value,
                      "last_text": shown[:300]},
            )  # fmt: skip
            await self.store.remember_client_id(conv_id, client_id, stored["seq"])
            if not conv.last_answered_seq and not conv.with_human:  # its first message
                await self.facts.emit_quietly(
                    "conversation_started", conv_id, channel="chat", language=lang,
                    country=conv.country,
                )  # fmt: skip
        elif seen and seen > conv.last_answered_seq and not conv.with_human:
            stored = {"seq": seen}  # stored before a crash, never answered: answer it now
        else:  # already answered, or in flight on another connection: nothing to do again
            return duplicate(conv, lang)

        if conv.with_human:
            result = await self._while_human(
                conv_id, conv, text, english, lang, mode, stored["seq"]
            )
        else:
            result = await self._with_bot(
                conv_id, conv, text, english, lang, bot_lang, native, metadata, stored["seq"]
            )
        LOG.info(
            "shopper_message",
            extra={
                "conversation_id": conv_id,
                "language": lang,
                "intent": result.get("intent"),
                "replies": len(result["replies"]),
                "mode": result["mode"],
                "escalate": result["escalation"]["escalate"],
                "degraded": result["degraded"],
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return result

    def _score(
        self,
        conv: Conversation,
        text: ShopperText,
        english: str | None,
        lang: str,
        intent: str | None,
        order: dict[str, Any],
        streak: int,
    ) -> Escalation:
        value = order.get("value_usd", conv.order_value_usd)
        return scoring.score(
            english or text.plain,
            scoring.Context(
                language="en" if english else lang,
                intent=intent,
                order_value_usd=float(value) if value not in (None, "", "None") else None,
                customer_tier=order.get("customer_tier", conv.customer_tier),
                previous_texts=conv.recent_texts,
                fallback_streak=streak,
            ),
        )

    @staticmethod
    def _recent(conv: Conversation, text: ShopperText) -> tuple[str, ...]:
        return (*conv.recent_texts, text.plain[:500])[-5:]

    async def _while_human(
        self,
        conv_id: str,
        conv: Conversation,
        text: ShopperText,
        english: str | None,
        lang: str,
        mode: Mode,
        seq: int,
    ) -> dict[str, Any]:
        """Queued or with an agent: the bot is silent; the message may raise priority."""
        escalation = self._score(conv, text, english, lang, conv.last_intent, {}, 0)
        await self.store.append_many(
            conv_id, [], meta={"recent_texts": self._recent(conv, text), "last_shopper_seq": seq}
        )
        if mode == Mode.QUEUED and escalation.escalate:
            await self.handoff.enqueue(conv_id, escalation.as_dict(), conv.team or "general")
            await self.facts.emit_quietly("queued", conv_id, priority=escalation.priority)
        return {
            "replies": [],
            "language": lang,
            "mode": mode.value,
            "escalation": escalation.as_dict(),
            "intent": None,
            "sentiment": escalation.sentiment,
            "degraded": False,
            "translated": False,
        }

    async def _with_bot(
        self,
        conv_id: str,
        conv: Conversation,
        text: ShopperText,
        english: str | None,
        lang: str,
        bot_lang: str,
        native: bool,
        metadata: dict[str, Any],
        seq: int = 0,
    ) -> dict[str, Any]:
        turn = await rasa_turn.ask_bot(self.rasa, conv, english or text.plain, bot_lang, metadata)
        intent = turn.nlu.get("intent")
        await self.facts.emit_quietly(
            "intent", conv_id, intent=intent, confidence=turn.nlu.get("confidence"), language=lang
        )
        streak = conv.fallback_streak
        streak = streak + 1 if intent == "nlu_fallback" else 0
        escalation = combine(
            turn.handoff_reason,
            self._score(conv, text, english, lang, intent, turn.order, streak),
            turn.handoff_detail,
        )
        after: dict[str, Any] = {
            "last_intent": intent,
            "fallback_streak": streak,
            "recent_texts": self._recent(conv, text),
            "last_answered_seq": seq,
        }
        if turn.sender:
            after.update(rasa_sender=turn.sender, rasa_turns=turn.sender_turns)
        if turn.order:
            after.update(
                order_id=turn.order.get("order_id"),
                order_value_usd=turn.order.get("value_usd"),
                customer_tier=turn.order.get("customer_tier"),
                country=turn.order.get("country"),
            )
        replies = turn.replies
        mode = Mode.BOT
        if escalation.escalate:
            LOG.info(
                "escalation_decision",
                extra={
                    "conversation_id": conv_id,
                    "score": escalation.score,
                    "priority": escalation.priority,
                    "reasons": [r.code for r in escalation.reasons],
                },
            )
            codes = [r.code for r in escalation.reasons]
            team = self.handoff.config.team_for(intent, codes)
            position = await self.handoff.enqueue(conv_id, escalation.as_dict(), team)
            await self.facts.emit_quietly(
                "escalated", conv_id, reasons=codes, score=escalation.score,
                priority=escalation.priority,
            )  # fmt: skip
            await self.facts.emit_quietly(
                "queued", conv_id, priority=escalation.priority, team=team
            )
            mode = Mode.QUEUED
            after.update(queued_reason=codes[0])
            email = order_email(after.get("order_id") or conv.order_id)
            replies = replies + await replies_mod.queue_notice(
                self.handoff,
                bot_lang,
                position,
                announced=turn.handoff_reason is not None,
                email=email,
            )
            if email and not self.handoff.config.is_open(time.time()):
                after.update(email_followup=email)  # the promise: the answer comes by email
        if not native:
            replies, _ = await replies_mod.localize(self.translator, replies, lang)
        await self.store.append_many(
            # (Redis' cjson turns an empty list into {}: leave "buttons" out instead)
            conv_id,
            [
                {
                    "speaker": "bot",
                    "text": r["text"],
                    "language": r.get("language", bot_lang),
                    "intent": intent,
                    **({"original": r["original"]} if r.get("original") else {}),
                    **({"buttons": r["buttons"]} if r.get("buttons") else {}),
                }
                for r in replies
            ],
            meta=after,
        )
        if mode == Mode.QUEUED:
            await self.store.publish(conv_id, events.MODE, mode=Mode.QUEUED.value, agent_name=None)
        elif self.csat is not None:
            person = conv.queued_at is not None or conv.claimed_at is not None
            await self.csat.after_bot_turn(conv_id, intent, conv.last_intent, person)
        try:  # trainer review inbox (unsure, fallback, escalated); must never break a chat
            await self.inbox.consider(
                conv_id=conv_id,
                seq=None,
                text=english or text.plain,
                language=bot_lang,
                intent=intent,
                confidence=turn.nlu.get("confidence"),
                escalated=escalation.escalate,
                reasons=[r.code for r in escalation.reasons],
            )
        except Exception:  # noqa: BLE001
            LOG.warning("inbox_failed", exc_info=True, extra={"conversation_id": conv_id})
        return {
            "replies": [{k: v for k, v in r.items() if k in {"text", "buttons"}} for r in replies],
            "language": lang,
            "mode": mode.value,
            "escalation": escalation.as_dict(),
            "intent": intent,
            "sentiment": escalation.sentiment,
            "degraded": turn.degraded,
            "translated": not native and all(r.get("language") == lang for r in replies),
            "rasa_ms": turn.ms,
        }
