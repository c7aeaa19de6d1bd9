"""Asking for a person, and complaints: say what happens next and signal the gateway.

The gateway (handoff/) owns the human queue; the bot marks its reply with a `handoff`
payload so the gateway queues the chat with the reason.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Ctx
from actions.clients import shop
from actions.tracking import answer_tracking


def hand_over(ctx: Ctx, reason: str) -> None:
    ctx.say("handoff_requested")
    ctx.dispatcher.utter_message(json_message={"handoff": {"reason": reason}})
    ctx.set("pending_offer", None)
    ctx.set("pending_request", None)
    ctx.log("handoff_requested", reason=reason)


class ActionHumanHandoff(Action):
    def name(self) -> str:
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ctx = Ctx.build(tracker, dispatcher)
        hand_over(ctx, "human")
        return ctx.events


class ActionComplain(Action):
    def name(self) -> str:
        return "action_complain"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ctx = Ctx.build(tracker, dispatcher)
        human = [{"title": ctx.t("button_human"), "payload": "/human_handoff"}]
        verified = ctx.slot("verified_order")
        order = shop.store().get_order(verified) if verified else None
        if order is not None:
            # the order is proven in this chat: never ask for it again, say where it stands
            ctx.say("complain_known_order", buttons=human, order_id=order.order_id)
            answer_tracking(ctx, order)
        else:
            ctx.say("complain", buttons=human)
        ctx.set("issue_note", ctx.text[:1000])
        return ctx.events
