"""Where is my parcel: status, last scan, route statistics, exceptions and next steps."""

from __future__ import annotations

from actions.base import Ctx, FeatureAction, items_phrase, register
from actions.clients import shop
from actions.coupons import offer_once
from actions.dates import answer_date_question
from shop.catalog import BY_SKU
from shop.models import Order
from shop.tracking import TrackingAssessment, assess

LATE_STATES = frozenset({"late", "stalled"})  # these get a recovery coupon (once per order)


def days(value: float) -> int:
    return max(1, round(value))


def describe_scan(ctx: Ctx, order: Order, a: TrackingAssessment) -> dict[str, str]:
    """The facts of the last scan in the shopper's language, for the copy templates."""
    fmt = ctx.fmt(order)
    ev = a.last_event
    assert ev is not None
    place = ev.place if ev.country == "CN" else fmt.place(ev.place, ev.country)
    facts = {
        "event": ctx.t(f"event_{ev.code}"),
        "place": place,
        "date": fmt.date(ev.at),
        "since": str(days(a.days_since_last_event or 0)),
        "carrier": order.shipment.carrier if order.shipment else "",
        "tracking": order.shipment.tracking_number if order.shipment else "",
    }
    if a.leg:
        facts.update(zip(("p10", "p90"), day_range(a.leg.p10, a.leg.p90), strict=True))
    if a.window:
        facts.update(start=fmt.date(a.window[0]), end=fmt.date(a.window[1]))
    return facts


def day_range(low: float, high: float) -> tuple[str, str]:
    """Whole days for a 'low–high days' phrase; never a '1–1' range."""
    lo = days(low)
    return str(lo), str(max(days(high), lo + 1))


def processing_range(order: Order) -> tuple[int, int]:
    ranges = [BY_SKU[ln.sku].processing_days for ln in order.lines if ln.sku in BY_SKU]
    return (max(r[0] for r in ranges), max(r[1] for r in ranges)) if ranges else (1, 3)


def answer_tracking(ctx: Ctx, order: Order) -> None:
    store = shop.store()
    a = assess(order, shop.route_stats(), store.now())
    fmt = ctx.fmt(order)
    policy = store.policies.country(order.country)
    ctx.log("tracking_answered", order_id=order.order_id, state=a.state)
    if a.state == "cancelled":
        refund = next((r for r in order.refunds), None)
        line = (
            ctx.t(
                "refund_completed",
                amount=fmt.money(refund.amount, order.currency),
                method=ctx.t(f"method_{refund.method}"),
                date=fmt.date(refund.completed_at or refund.created_at),
            )
            if refund
            else ""
        )
        ctx.say("track_cancelled", order_id=order.order_id, refund_line=line)
        return
    if a.state == "not_shipped":
        low, high = processing_range(order)
        key = "track_not_shipped_late" if a.ship_overdue_days >= 1 else "track_not_shipped"
        ctx.say(
            key,
            order_id=order.order_id,
            items=items_phrase(order, fmt),
            proc_min=low,
            proc_max=high,
            ship_by=fmt.date(order.ship_by),
            overdue=days(a.ship_overdue_days),
        )
        return
    facts = describe_scan(ctx, order, a)
    if a.state == "customs_hold":
        after = (
            shop.route_stats().leg(order.shipment.carrier, order.country, "customs_cleared")
            if order.shipment
            else None
        )
        p10_p90 = day_range(after.p10, after.p90) if after else ("2", "5")
        facts.update(zip(("p10", "p90"), p10_p90, strict=True))
    if a.state == "returned_to_sender":
        ctx.say("track_returned", buttons=ctx.yes_no(), **facts)
        ctx.offer("reship", order_id=order.order_id)
        return
    # facts are template fields only: through t() none can be taken for say()'s `buttons`
    ctx.say_text(ctx.t(f"track_{a.state}", **facts))
    if a.state in LATE_STATES:  # sorry for the wait: a coupon for the next order, once
        offer_once(ctx, order, "late_parcel")
    if policy.progress_updates and a.state in {"in_transit", "late", "stalled", "customs_hold"}:
        ctx.say("progress_updates")


@register("track_order")
class ActionTrackOrder(FeatureAction):
    def answer(self, ctx: Ctx, order: Order) -> None:

        if not answer_date_question(ctx, order):
            answer_tracking(ctx, order)
