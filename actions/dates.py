"""Dates shoppers ask about ("before Saturday?"): the expected window of an order and the
yes / likely / unlikely answer; the express offer for orders not shipped yet."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from actions.base import Ctx
from actions.clients import shop
from shop.dates import find_target_date
from shop.models import Order
from shop.tracking import assess

EXPRESS_CARRIER = "SkyBridge Express"
STANDARD_CARRIER = "NimbusPost"


def transit(carrier: str, country: str) -> tuple[float, float] | None:
    leg = shop.route_stats().leg(carrier, country, "picked_up")
    return (leg.p10, leg.p90) if leg else None


def offer_express(ctx: Ctx, order: Order, ship_by: datetime) -> None:
    """A standard order not shipped yet can still be upgraded: offer it with its dates."""
    fast = transit(EXPRESS_CARRIER, order.country)
    if order.shipping_service != "standard" or not fast:
        return
    fmt = ctx.fmt(order)
    policy = shop.store().policies.country(order.country)
    fee = fmt.money(policy.express_upgrade_fee, order.currency)
    ctx.say(
        "express_offer",
        buttons=ctx.yes_no(),
        fee=fee,
        start=fmt.date(ship_by + timedelta(days=fast[0])),
        end=fmt.date(ship_by + timedelta(days=fast[1])),
    )
    ctx.offer("express", order_id=order.order_id, fee=fee)


def expected_window(order: Order, now: datetime) -> tuple[datetime, datetime] | None:
    """Earliest and latest expected delivery, as the tracking and delivery answers give them;
    None when there is no window to promise (delivered, cancelled, failed, returned)."""
    if order.status == "cancelled":
        return None
    if not (order.shipment and order.shipment.events):
        ship_by = max(order.ship_by, now)
        carrier = EXPRESS_CARRIER if order.shipping_service == "express" else STANDARD_CARRIER
        low, high = transit(carrier, order.country) or (6.0, 14.0)
        return ship_by + timedelta(days=low), ship_by + timedelta(days=high)
    a = assess(order, shop.route_stats(), now)
    if a.state == "customs_hold":
        after = shop.route_stats().leg(order.shipment.carrier, order.country, "customs_cleared")
        low, high = (after.p10, after.p90) if after else (2.0, 5.0)
        return now + timedelta(days=max(1.0, low)), now + timedelta(days=max(2.0, high))
    return a.window


def remember_date(ctx: Ctx) -> None:
    """A date asked before the order is known: kept for the answer after verification."""
    target = find_target_date(ctx.text, ctx.lang, shop.store().now().date(), ctx.slot("country"))
    if target is not None:
        ctx.set("asked_date", target.isoformat())


def asked_date(ctx: Ctx, order: Order, today: date) -> date | None:
    """The date this message names, else the one a delivery question named earlier."""
    target = find_target_date(ctx.text, ctx.lang, today, order.country)
    if target is None and ctx.slot("asked_date"):
        try:
            target = date.fromisoformat(str(ctx.slot("asked_date")))
        except ValueError:
            target = None
    return target


def answer_date_question(ctx: Ctx, order: Order) -> bool:
    """'Can it arrive before Saturday?': yes / likely / unlikely against the expected window,
    naming the date and the window. False when the message names no date or there is no
    window (the usual answer then says what is going on)."""
    now = shop.store().now()
    target = asked_date(ctx, order, now.date())
    window = expected_window(order, now) if target else None
    if target is None or window is None:
        return False
    ctx.set("asked_date", None)  # answered: a later question starts afresh
    earliest, latest = window[0].date(), window[1].date()
    verdict = "yes" if latest <= target else "unlikely" if target < earliest else "likely"
    fmt = ctx.fmt(order)
    ctx.log("date_question_answered", order_id=order.order_id, verdict=verdict)
    ctx.say(
        f"date_{verdict}",
        order_id=order.order_id,
        target=fmt.date(datetime.combine(target, time(12), tzinfo=window[0].tzinfo)),
        start=fmt.date(window[0]),
        end=fmt.date(window[1]),
    )
    shipped = bool(order.shipment and order.shipment.events)
    if verdict != "yes" and not shipped:
        offer_express(ctx, order, max(order.ship_by, now))
    return True
