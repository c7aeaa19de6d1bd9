"""What a shipment's history means for the shopper: state, lateness and a delivery window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shop.models import Order, ShipmentEvent
from shop.routes import Leg, RouteStats

EXCEPTIONS = {"customs_hold", "delivery_failed", "returned_to_sender"}


@dataclass(frozen=True)
class TrackingAssessment:
    state: str  # not_shipped | in_transit | late | stalled | customs_hold | delivery_failed
    #             | returned_to_sender | delivered | cancelled
    last_event: ShipmentEvent | None
    days_since_last_event: float | None
    leg: Leg | None  # route statistics from the last milestone to delivery
    window: tuple[datetime, datetime] | None  # expected delivery window
    ship_overdue_days: float = 0.0


def settled(order: Order) -> bool:
    """No shipment problem can come any more: the order was cancelled or its parcel
    delivered (a parcel sent back to us is not settled: that is a problem to tell)."""
    if order.status == "cancelled":
        return True
    events = order.shipment.events if order.shipment else ()
    return bool(events) and events[-1].code == "delivered"


def assess(order: Order, stats: RouteStats, now: datetime) -> TrackingAssessment:
    if order.status == "cancelled":
        return TrackingAssessment("cancelled", None, None, None, None)
    shipment = order.shipment
    if shipment is None or not shipment.events:
        overdue = max(0.0, (now - order.ship_by).total_seconds() / 86400)
        return TrackingAssessment("not_shipped", None, None, None, None, overdue)
    last = shipment.events[-1]
    since = (now - last.at).total_seconds() / 86400
    if last.code == "delivered":
        return TrackingAssessment("delivered", last, since, None, None)
    if last.code in EXCEPTIONS:
        return TrackingAssessment(last.code, last, since, None, None)
    leg = stats.leg(shipment.carrier, order.country, last.code)
    if leg is None:
        return TrackingAssessment("in_transit", last, since, None, None)
    if since > leg.stall_after:
        state = "stalled"
    elif since > leg.p90:
        state = "late"
    else:
        state = "in_transit"
    # Expected delivery: the route's p10..p90 from this milestone, never earlier than tomorrow.
    start = max(last.at + timedelta(days=leg.p10), now + timedelta(days=1))
    end = max(last.at + timedelta(days=leg.p90), start + timedelta(days=1))
    if state != "in_transit":
        # already beyond the usual range: promise the honest next range from today
        start, end = now + timedelta(days=1), now + timedelta(days=max(3.0, leg.p50))
    return TrackingAssessment(state, last, since, leg, (start, end))
