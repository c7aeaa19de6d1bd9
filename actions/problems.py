"""Damaged, wrong or not-as-described items: note the problem, propose the allowed remedy."""

from __future__ import annotations

from functools import partial
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ANSWERS, Ctx, FeatureAction, first_line_for, resolve_order
from actions.clients import shop
from actions.outcomes import remedy_amount, remedy_offered
from shop.compensation import propose_remedy
from shop.models import Order

ISSUES = ("damaged_item", "wrong_item", "not_as_described")
SORRY = {
    "damaged_item": "problem_sorry_damaged",
    "wrong_item": "problem_sorry_wrong",
    "not_as_described": "problem_sorry_nad",
}


def remedy_params(ctx: Ctx, order: Order, option: str, offer: dict[str, Any]) -> dict[str, str]:
    fmt = ctx.fmt(order)
    return {
        "amount": fmt.money(remedy_amount(offer, option), order.currency),
        "pct": str(offer["pct"]),
        "method": ctx.refund_method(order),
        "keep_note": ctx.t("remedy_reship_keep") if offer["keep_item"] else "",
        "item": offer["item"],
    }


def propose(ctx: Ctx, order: Order, issue: str) -> None:
    line = first_line_for(order, ctx)
    if line is None:
        return
    remedy = propose_remedy(order, line, issue, shop.store().policies)
    offer = {
        "order_id": order.order_id,
        "issue": issue,
        "sku": line.sku,
        "item": line.name,
        "options": list(remedy.options),
        "index": 0,
        "unit_price": line.unit_price,
        "partial": remedy.partial_refund_amount,
        "keep_item": remedy.keep_item,
        "pct": shop.store().policies.compensation.partial_refund_pct.get(issue, 0),
        "note": ctx.slot("issue_note") or ctx.text,
        "reason": remedy.reason,
    }
    ctx.say(SORRY[issue], item=line.name)
    first = remedy.options[0]
    ctx.say(f"remedy_{first}", buttons=ctx.yes_no(), **remedy_params(ctx, order, first, offer))
    ctx.offer("remedy", **offer)
    remedy_offered(ctx, order, offer, first)
    ctx.log("remedy_proposed", order_id=order.order_id, issue=issue, options=remedy.options)


class ActionReportProblem(FeatureAction):
    def name(self) -> str:
        return "action_report_problem"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ctx = Ctx.build(tracker, dispatcher)
        issue = ctx.intent if ctx.intent in ISSUES else "damaged_item"
        # the shopper's own words are the description kept with the case
        ctx.set("issue_note", ctx.text[:1000])
        order = resolve_order(ctx, issue)
        if order is not None:
            ctx.set("pending_request", None)
            propose(ctx, order, issue)
        return ctx.events


for _issue in ISSUES:
    ANSWERS[_issue] = partial(propose, issue=_issue)
