"""Per-route transit statistics learned from the store's own delivered shipments."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from shop.models import Order

MIN_SAMPLES = 5


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]; values need not be sorted."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass(frozen=True)
class Leg:
    """Days from a milestone to delivery on one route: p10 / median / p90 and the sample size."""

    p10: float
    p50: float
    p90: float
    samples: int
    # a scan gap longer than this (days) after the milestone is unusual on this route
    stall_after: float


def _days(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 86400


class RouteStats:
    """Remaining-days distributions per (carrier, destination country, milestone code)."""

    def __init__(self, orders: list[Order]) -> None:
        remaining: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        gaps: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        for order in orders:
            shipment = order.shipment
            if not shipment or shipment.delivered_at is None:
                continue
            delivered = shipment.delivered_at
            events = shipment.events
            for i, event in enumerate(events):
                if event.code == "delivered":
                    break
                for key in (
                    (shipment.carrier, order.country, event.code),
                    (shipment.carrier, "*", event.code),
                ):
                    remaining[key].append(_days(event.at, delivered))
                    gaps[key].append(_days(event.at, events[i + 1].at))
        self._legs = {
            key: Leg(
                p10=percentile(v, 10),
                p50=percentile(v, 50),
                p90=percentile(v, 90),
                samples=len(v),
                stall_after=max(4.0, percentile(gaps[key], 95) * 1.5),
            )
            for key, v in remaining.items()
            if len(v) >= MIN_SAMPLES
        }

    def leg(self, carrier: str, country: str, code: str) -> Leg | None:
        """The route's own numbers when it has enough samples, else the carrier's overall."""
        return self._legs.get((carrier, country, code)) or self._legs.get((carrier, "*", code))
