"""Where is my refund: the refund records of the order and honest timing."""

from __future__ import annotations

from datetime import timedelta

from actions.base import Ctx, FeatureAction, register
from actions.clients import shop
from shop.models import Order


@register("refund_status")
class ActionRefundStatus(FeatureAction):
    def answer(self, ctx: Ctx, order: Order) -> None:
        fmt = ctx.fmt(order)
        policy = shop.store().policies.country(order.country)
        if not order.refunds:
            ctx.say("refund_none", order_id=order.order_id)
            ctx.say("refund_none_hint", d1=policy.refund_days[0], d2=policy.refund_days[1])
            return
        for refund in order.refunds:
            method = ctx.t(f"method_{refund.method}")
            amount = fmt.money(refund.amount, order.currency)
            if refund.status == "completed":
                ctx.say(
                    "refund_completed",
                    amount=amount,
                    method=method,
                    date=fmt.date(refund.completed_at or refund.created_at),
                )
            else:
                ctx.say(
                    "refund_processing",
                    amount=amount,
                    method=method,
                    date=fmt.date(refund.created_at),
                    by=fmt.date(refund.created_at + timedelta(days=7)),
                )
