"""Greetings, thanks, 'are you a bot', out of scope, not understood, and yes/no answers."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import outcomes
from actions.base import Ctx, awaiting_free_text
from actions.clients import redis_state, shop
from actions.coupons import offer_coupon, tier_for_remedy
from actions.handoff import hand_over
from actions.problems import remedy_params
from handoff.cases.schema import Case


class SimpleReply(Action):
    """Says one copy key; resets the not-understood counter."""

    key = ""

    def name(self) -> str:
        return f"action_{self.key}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ctx = Ctx.build(tracker, dispatcher)
        ctx.say(self.key)
        ctx.set("fallback_count", 0)
        return ctx.events


class ActionGreet(SimpleReply):
    key = "greet"


class ActionGoodbye(SimpleReply):
    key = "goodbye"


class ActionThank(SimpleReply):
    key = "thank"


class ActionBotChallenge(SimpleReply):
    key = "bot_challenge"


class ActionOutOfScope(SimpleReply):
    key = "out_of_scope"


class ActionFallback(Action):
    """First miss: ask to rephrase. Second in a row: offer a person."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        entities = {e.get("entity") for e in tracker.latest_message.get("entities", [])}
        if entities & {"order_id", "email"} or awaiting_free_text(tracker):
            # the shopper gave the data we asked for, or the address we asked for
            from actions.verification import ActionInform

            return await ActionInform().run(dispatcher, tracker, domain)
        ctx = Ctx.build(tracker, dispatcher)
        count = int(ctx.slot("fallback_count") or 0) + 1
        ctx.set("fallback_count", count)
        if count >= 2:
            ctx.say("fallback_offer_human", buttons=ctx.yes_no())
            ctx.offer("handoff")
        else:
            ctx.say("fallback")
        ctx.log("not_understood", count=count, text_length=len(ctx.text))
        return ctx.events


def _case(ctx: Ctx, offer: dict[str, Any], issue: str, resolution: str) -> str:
    order = shop.store().get_order(offer.get("order_id", "")) if offer.get("order_id") else None
    return redis_state.state().record_case(
        Case(
            conversation_id=ctx.tracker.sender_id,
            order_id=offer.get("order_id"),
            email=order.email if order else None,
            country=order.country if order else None,
            issue_type=issue,
            resolution=resolution,
            note=offer.get("note"),
            resolved_by="bot",
            language=ctx.lang,
        )
    )


def accept(ctx: Ctx, offer: dict[str, Any]) -> None:
    kind = offer["kind"]
    order = shop.store().get_order(offer.get("order_id", "")) if offer.get("order_id") else None
    if kind == "handoff":
        hand_over(ctx, "bot_failure")
        return
    if kind == "remedy" and order:
        option = offer["options"][offer["index"]]
        case_id = _case(ctx, offer, offer["issue"], option)
        outcomes.remedy_accepted(ctx, order, offer, option, case_id)
        # through t(): none of remedy_params' fields can be taken for say()'s `buttons`
        params = remedy_params(ctx, order, option, offer)
        ctx.say_text(ctx.t(f"remedy_done_{option}", case_id=case_id, **params))
        offer_coupon(ctx, order, tier_for_remedy(option))
    elif kind == "express":
        case_id = _case(ctx, offer, "delivery_time", "express_upgrade")
        ctx.say("express_done", order_id=offer["order_id"], fee=offer["fee"], case_id=case_id)
        outcomes.bot_resolved(ctx, "delivery_time", "express_upgrade", case_id)
    elif kind == "cancel":
        case_id = _case(ctx, offer, "cancel_order", "cancelled")
        ctx.say(
            "cancel_done",
            order_id=offer["order_id"],
            amount=offer["amount"],
            method=offer["method"],
            case_id=case_id,
        )
        if order:
            outcomes.refund(ctx, order, order.total, "cancelled", case_id)
        outcomes.bot_resolved(ctx, "cancel_order", "cancelled", case_id)
    elif kind == "return" and order:
        label = shop.store().policies.country(order.country).label
        case_id = _case(ctx, offer, "return_request", "return_label_sent")
        ctx.say("return_done", case_id=case_id, label=ctx.t(f"label_{label}"))
        outcomes.return_started(ctx, order, case_id)
        outcomes.bot_resolved(ctx, "return_request", "return_label_sent", case_id)
    elif kind == "reship":
        case_id = _case(ctx, offer, "track_order", "reship")
        ctx.say("reship_done", order_id=offer["order_id"], case_id=case_id)
        outcomes.bot_resolved(ctx, "track_order", "reship", case_id)
    ctx.set("pending_offer", None)


def decline(ctx: Ctx, offer: dict[str, Any]) -> None:
    kind = offer["kind"]
    order = shop.store().get_order(offer.get("order_id", "")) if offer.get("order_id") else None
    ctx.set("pending_offer", None)
    if kind == "remedy" and order:
        nxt = offer["index"] + 1
        if nxt < len(offer["options"]):
            option = offer["options"][nxt]
            ctx.say(
                f"remedy_{option}", buttons=ctx.yes_no(), **remedy_params(ctx, order, option, offer)
            )
            ctx.set("pending_offer", json.dumps({**offer, "index": nxt, "prompt": ctx.last_said}))
            outcomes.remedy_offered(ctx, order, offer, option)
        else:
            ctx.say("remedy_no_more")
            hand_over(ctx, "bot_failure")
        return
    if kind == "cancel":
        ctx.say("cancel_kept", order_id=offer["order_id"])
        return
    if kind == "reship" and order:
        fmt = ctx.fmt(order)
        method = ctx.refund_method(order)
        case_id = _case(ctx, offer, "track_order", "refund")
        ctx.say(
            "returned_refund_done",
            amount=fmt.money(order.total, order.currency),
            method=method,
            case_id=case_id,
        )
        outcomes.refund(ctx, order, order.total, "returned_to_sender", case_id)
        outcomes.bot_resolved(ctx, "track_order", "refund", case_id)
        return
    ctx.say("deny_no_context")


SURE_YES = 0.6


class ActionAffirm(Action):
    def name(self) -> str:
        return "action_affirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ctx = Ctx.build(tracker, dispatcher)
        raw = ctx.slot("pending_offer")
        confidence = (tracker.latest_message.get("intent") or {}).get("confidence") or 0.0
        if raw and confidence < SURE_YES and json.loads(raw).get("prompt"):
            # doing something (cancel, refund) on a half-understood "yes" would be worse
            # than asking once more
            ctx.say_text(json.loads(raw)["prompt"], ctx.yes_no())
        elif raw:
            accept(ctx, json.loads(raw))
        else:
            ctx.say("affirm_no_context")
        return ctx.events


class ActionDeny(Action):
    def name(self) -> str:
        return "action_deny"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ctx = Ctx.build(tracker, dispatcher)
        raw = ctx.slot("pending_offer")
        ctx.set("pending_request", None)
        if raw:
            decline(ctx, json.loads(raw))
        else:
            ctx.say("deny_no_context")
        return ctx.events
