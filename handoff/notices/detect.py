"""Which shipment problems deserve a notice, and the facts each notice states.

One order has at most one open problem at a time (its tracking state); a notice is
identified by the order, the kind and the moment the problem began, so each problem is
told once and a new problem of the same kind later (a second failed delivery) is told too.
Only problems that began within `lookback` are told: a watcher starting on an old shop does
not send a flood about last month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.copy import Fmt
from shop.models import Order
from shop.routes import RouteStats
from shop.tracking import assess

KINDS = ("customs_hold", "delivery_failed", "returned_to_sender", "stalled", "ship_late")
STALL_GRACE_DAYS = 5  # "no movement within N more days and we reship or refund"


@dataclass(frozen=True)
class Notice:
    order_id: str
    kind: str
    since: datetime  # when the problem began: the scan, the missed ship-by date
    country: str
    facts: dict[str, object] = field(default_factory=dict)  # unformatted: dates, numbers

    @property
    def notice_id(self) -> str:
        return f"{self.order_id}:{self.kind}:{int(self.since.timestamp())}"

    @property
    def copy_key(self) -> str:
        return f"notice_{self.kind}"

    def params(self, lang: str) -> dict[str, str]:
        """The copy's placeholders, formatted for the shopper's language and country."""
        fmt = Fmt(lang, self.country)
        out: dict[str, str] = {"order_id": self.order_id}
        for name, value in self.facts.items():
            if isinstance(value, datetime):
                out[name] = fmt.date(value)
            elif name == "place" and isinstance(value, tuple):
                out[name] = fmt.place(str(value[0]), str(value[1]))
            else:
                out[name] = str(value)
        return out


def detect(order: Order, stats: RouteStats, now: datetime) -> Notice | None:
    """The problem this order has now, if any."""
    a = assess(order, stats, now)
    shipment = order.shipment
    last = a.last_event
    if a.state == "not_shipped":
        if order.status == "cancelled" or a.ship_overdue_days <= 0:
            return None
        return Notice(order.order_id, "ship_late", order.ship_by, order.country,
                      {"ship_by": order.ship_by})  # fmt: skip
    if shipment is None or last is None:
        return None
    base: dict[str, object] = {"carrier": shipment.carrier, "date": last.at}
    if a.state == "customs_hold":
        leg = stats.leg(shipment.carrier, order.country, "customs_cleared")
        low, high = (leg.p10, leg.p90) if leg else (2.0, 5.0)
        facts = {**base, "place": (last.place, last.country),
                 "p10": max(1, round(low)), "p90": max(2, round(high))}  # fmt: skip
        return Notice(order.order_id, "customs_hold", last.at, order.country, facts)
    if a.state == "delivery_failed":
        facts = {**base, "tracking_number": shipment.tracking_number}
        return Notice(order.order_id, "delivery_failed", last.at, order.country, facts)
    if a.state == "returned_to_sender":
        return Notice(order.order_id, "returned_to_sender", last.at, order.country, base)
    if a.state == "stalled":
        facts = {**base, "place": (last.place, last.country), "days": STALL_GRACE_DAYS}
        # it became a problem when the route's usual gap ran out, not at the last scan
        began = last.at + timedelta(days=a.leg.stall_after) if a.leg else last.at
        return Notice(order.order_id, "stalled", began, order.country, facts)
    return None


def due(orders: list[Order], stats: RouteStats, now: datetime, lookback: timedelta) -> list[Notice]:
    """Every order's current problem that began within `lookback`."""
    out = []
    for order in orders:
        notice = detect(order, stats, now)
        if notice is not None and now - notice.since <= lookback:
            out.append(notice)
    return out
