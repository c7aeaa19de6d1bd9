"""Cancel an order or change its address: only before it ships, and say why not after."""

from __future__ import annotations

from actions.base import FREE_TEXT_HANDLERS, Ctx, FeatureAction, register
from actions.clients import redis_state, shop
from handoff.cases.schema import Case
from shop.models import Order


@register("cancel_order")
class ActionCancelOrder(FeatureAction):
    def answer(self, ctx: Ctx, order: Order) -> None:
        fmt = ctx.fmt(order)
        if order.status == "cancelled":
            ctx.say("cancel_already", order_id=order.order_id)
            return
        if order.shipped and order.shipment:
            policy = shop.store().policies.country(order.country)
            ctx.say(
                "cancel_shipped",
                order_id=order.order_id,
                date=fmt.date(order.shipment.events[0].at),
                days=policy.return_window_days,
            )
            return
        method = ctx.refund_method(order)
        amount = fmt.money(order.total, order.currency)
        ctx.say(
            "cancel_offer",
            buttons=ctx.yes_no(),
            order_id=order.order_id,
            amount=amount,
            method=method,
        )
        ctx.offer("cancel", order_id=order.order_id, amount=amount, method=method)


@register("change_address")
class ActionChangeAddress(FeatureAction):
    def answer(self, ctx: Ctx, order: Order) -> None:
        if order.shipped and order.shipment:
            ctx.say(
                "address_shipped",
                order_id=order.order_id,
                carrier=order.shipment.carrier,
                tracking=order.shipment.tracking_number,
            )
            return
        ctx.say("address_ask", order_id=order.order_id, address=order.address)
        ctx.set("pending_request", "new_address")


def save_new_address(ctx: Ctx) -> None:
    """The shopper's next message after address_ask is the new address: record it."""
    order_id = ctx.slot("verified_order")
    address = " ".join(ctx.text.split())[:300]
    order = shop.store().get_order(order_id) if order_id else None
    case_id = redis_state.state().record_case(
        Case(
            conversation_id=ctx.tracker.sender_id,
            order_id=order_id,
            email=order.email if order else None,
            country=order.country if order else None,
            issue_type="change_address",
            resolution="address_changed",
            note=address,
            resolved_by="bot",
        )
    )
    ctx.set("pending_request", None)
    ctx.say("address_done", order_id=order_id, case_id=case_id, address=address)
    ctx.log("address_changed", order_id=order_id, case_id=case_id)


FREE_TEXT_HANDLERS["new_address"] = save_new_address
