"""How long will it take / can it arrive by a date / can it go express."""

from __future__ import annotations

from datetime import timedelta

from actions.base import Ctx, FeatureAction, register
from actions.clients import shop
from actions.dates import (
    EXPRESS_CARRIER,
    STANDARD_CARRIER,
    answer_date_question,
    offer_express,
    remember_date,
    transit,
)
from actions.tracking import answer_tracking, days
from shop.models import Order


@register("delivery_time")
class ActionDeliveryTime(FeatureAction):
    needs_order = False

    def answer_without_order(self, ctx: Ctx) -> bool:
        """With only a destination country we can still give the route's numbers."""
        remember_date(ctx)  # answered once the order is known, even a message later
        if ctx.has_order:
            return False
        country = ctx.slot("country")
        standard = transit(STANDARD_CARRIER, country) if country else None
        express = transit(EXPRESS_CARRIER, country) if country else None
        if not (standard and express):
            ctx.say("ask_order_and_email")
            ctx.set("pending_request", self.request)
            return True
        ctx.say(
            "route_estimate",
            country=ctx.fmt().country(country),
            proc_min=1,
            proc_max=4,
            p10=days(standard[0]),
            p90=days(standard[1]),
            e10=days(express[0]),
            e90=days(express[1]),
        )
        return True

    def answer(self, ctx: Ctx, order: Order) -> None:
        if answer_date_question(ctx, order):
            return
        store = shop.store()
        now = store.now()
        fmt = ctx.fmt(order)
        if order.shipment and order.shipment.events:
            answer_tracking(ctx, order)
            if order.shipping_service == "standard" and order.status == "shipped":
                ctx.say("express_not_possible")
            return
        if order.status == "cancelled":
            ctx.say("cancel_already", order_id=order.order_id)
            return
        ship_by = max(order.ship_by, now)
        carrier = EXPRESS_CARRIER if order.shipping_service == "express" else STANDARD_CARRIER
        window = transit(carrier, order.country) or (6.0, 14.0)
        ctx.say(
            "delivery_not_shipped",
            order_id=order.order_id,
            ship_by=fmt.date(ship_by),
            service=ctx.t(f"service_{order.shipping_service}"),
            country=fmt.country(order.country),
            p10=days(window[0]),
            p90=days(window[1]),
            start=fmt.date(ship_by + timedelta(days=window[0])),
            end=fmt.date(ship_by + timedelta(days=window[1])),
        )
        offer_express(ctx, order, ship_by)
