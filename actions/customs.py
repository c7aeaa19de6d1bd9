"""Import duties and taxes: the destination country's regime and this order's total."""

from __future__ import annotations

from actions.base import Ctx, FeatureAction, register
from actions.clients import shop
from shop.models import Order
from shop.policy import CountryPolicy


def regime_text(ctx: Ctx, policy: CountryPolicy) -> str:
    fmt = ctx.fmt()
    return ctx.t(
        f"customs_{policy.duties_regime}",
        country=fmt.country(policy.code),
        threshold=fmt.money(policy.duties_threshold, policy.currency),
    )


@register("customs_duties")
class ActionCustomsDuties(FeatureAction):
    needs_order = False

    def answer_without_order(self, ctx: Ctx) -> bool:
        if ctx.has_order:
            return False
        country = ctx.slot("country")
        if country:
            ctx.say_text(regime_text(ctx, shop.store().policies.country(country)))
            return True
        ctx.say("ask_order_and_email")
        ctx.set("pending_request", self.request)
        return True

    def answer(self, ctx: Ctx, order: Order) -> None:
        policy = shop.store().policies.country(order.country)
        ctx.say_text(regime_text(ctx, policy))
        if policy.duties_regime != "prepaid":
            key = (
                "customs_order_above"
                if order.total > policy.duties_threshold
                else "customs_order_below"
            )
            ctx.say(
                key,
                order_id=order.order_id,
                total=ctx.fmt(order).money(order.total, order.currency),
            )
