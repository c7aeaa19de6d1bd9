"""The shopper gives data (order number, email, size, country): finish what was pending."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ANSWERS, Ctx, await_free_text, items_phrase, resolve_order
from actions.sizing import ActionSizeHelp

NO_ORDER_NEEDED = {"size_help": ActionSizeHelp}


def _found(ctx: Ctx, order: Any) -> None:
    ctx.say("found_order", order_id=order.order_id, items=items_phrase(order, ctx.fmt(order)))
    ctx.say("what_about_order")


ANSWERS["order_lookup"] = _found


def implied_request(tracker: Tracker, floor: float = 0.15) -> str:
    """'where is XB-204518? me@example.com' reads as data, but the runner-up intent says
    what the shopper wants; answer that instead of asking."""
    for ranked in tracker.latest_message.get("intent_ranking", [])[1:4]:
        name = ranked.get("name")
        if name in ANSWERS and name != "order_lookup" and ranked.get("confidence", 0) >= floor:
            return str(name)
    return "order_lookup"


class ActionInform(Action):
    def name(self) -> str:
        return "action_inform"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ctx = Ctx.build(tracker, dispatcher)
        if await_free_text(ctx):
            return ctx.events
        pending = ctx.slot("pending_request")
        if pending in NO_ORDER_NEEDED:
            NO_ORDER_NEEDED[pending]().answer_without_order(ctx)
            return ctx.events
        entities = {e.get("entity") for e in tracker.latest_message.get("entities", [])}
        gave_order_data = bool(entities & {"order_id", "email"})
        if pending in ANSWERS or gave_order_data:
            request = pending if pending in ANSWERS else implied_request(tracker)
            order = resolve_order(ctx, request)
            if order is not None:
                ctx.set("pending_request", None)
                ANSWERS[request](ctx, order)
            return ctx.events
        ctx.say("inform_no_context")
        return ctx.events
