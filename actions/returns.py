"""How do I return / exchange: the destination country's policy and this order's deadline."""

from __future__ import annotations

from datetime import timedelta

from actions.base import Ctx, FeatureAction, register
from actions.clients import shop
from shop.models import Order
from shop.policy import CountryPolicy


def policy_text(ctx: Ctx, policy: CountryPolicy, currency: str) -> str:
    fmt = ctx.fmt()
    conditions = fmt.list([ctx.t(f"cond_{c}") for c in policy.conditions])
    who = (
        ctx.t("return_paid_by_shop")
        if policy.return_shipping_paid_by == "shop"
        else ctx.t("return_paid_by_customer", cost=fmt.money(policy.return_shipping_cost, currency))
    )
    text = ctx.t(
        "return_policy",
        country=fmt.country(policy.code),
        days=policy.return_window_days,
        conditions=conditions,
        who_pays=who,
        label=ctx.t(f"label_{policy.label}"),
    )
    if policy.preferred_resolution == "exchange":
        text = fmt.sentences([text, ctx.t("return_exchange_first")])
    return text


@register("return_request")
class ActionReturnRequest(FeatureAction):
    needs_order = False

    def answer_without_order(self, ctx: Ctx) -> bool:
        if ctx.has_order:
            return False
        country = ctx.slot("country")
        if not country:
            return False  # ask for the order: its country decides the policy
        policy = shop.store().policies.country(country)
        ctx.say_text(policy_text(ctx, policy, policy.currency))
        ctx.say("ask_order_and_email")
        ctx.set("pending_request", self.request)
        return True

    def answer(self, ctx: Ctx, order: Order) -> None:
        store = shop.store()
        policy = store.policies.country(order.country)
        fmt = ctx.fmt(order)
        ctx.say_text(policy_text(ctx, policy, order.currency))
        delivered = order.shipment.delivered_at if order.shipment else None
        if order.status in {"cancelled", "returned"}:
            ctx.say("anything_else")
            return
        if delivered is None:
            ctx.say("return_not_delivered", order_id=order.order_id, days=policy.return_window_days)
            return
        deadline = delivered + timedelta(days=policy.return_window_days)
        if store.now() > deadline:
            ctx.say(
                "return_window_closed",
                order_id=order.order_id,
                delivered=fmt.date(delivered),
                days=policy.return_window_days,
                deadline=fmt.date(deadline),
            )
            return
        ctx.say(
            "return_eligible",
            order_id=order.order_id,
            delivered=fmt.date(delivered),
            deadline=fmt.date(deadline),
        )
        ctx.say("return_offer", buttons=ctx.yes_no())
        ctx.offer("return", order_id=order.order_id)
