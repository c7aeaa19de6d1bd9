"""Charged twice, failed payment, invoice: what the order's payment record shows."""

from __future__ import annotations

from actions.base import Ctx, FeatureAction, register
from actions.clients import redis_state
from handoff.cases.schema import Case
from shop.models import Order


@register("payment_issue")
class ActionPaymentIssue(FeatureAction):
    def answer(self, ctx: Ctx, order: Order) -> None:
        fmt = ctx.fmt(order)
        method = ctx.t(f"method_{order.payment_method}")
        amount = fmt.money(order.total, order.currency)
        if order.payment_captures > 1:
            case_id = redis_state.state().record_case(
                Case(
                    conversation_id=ctx.tracker.sender_id,
                    order_id=order.order_id,
                    email=order.email,
                    country=order.country,
                    issue_type="payment_issue",
                    resolution="duplicate_charge_reversed",
                    resolved_by="bot",
                    refund_amount=order.total,
                    currency=order.currency,
                )
            )
            ctx.say(
                "payment_double",
                amount=amount,
                order_id=order.order_id,
                case_id=case_id,
                method=method,
            )
            return
        ctx.say(
            "payment_ok",
            order_id=order.order_id,
            amount=amount,
            method=method,
            date=fmt.date(order.placed_at),
        )
