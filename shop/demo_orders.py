"""Sample-store orders to try the bot with, and the stalled-parcel demo.

python -m shop.demo_orders                    # a few orders per situation
python -m shop.demo_orders --stall [XB-…]     # make one parcel stall (make demo-stall)

`--stall` plays the carrier: it takes a parcel that is moving normally (the given order, or
the first one in transit to a shopper who writes a language other than English) and makes
its last scan older than its route's stall limit, as if nothing had been scanned since. It
rewrites that one order in the sample store file (`SHOP_DATA`); the running gateway and
action server re-read the file within a second (`SampleStore.refresh`), and the gateway's
notice watcher tells the shopper on its next pass: in their chat if they have one about the
order, else by email (caught under `make run` at /console/mail).
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from shop.policy import load_policies
from shop.routes import RouteStats
from shop.store import SampleStore, default_store_path, load_store
from shop.tracking import assess

SITUATIONS = [
    "in_transit",
    "stalled",
    "customs_hold",
    "delivery_failed",
    "returned_to_sender",
    "processing",
    "processing_late",
    "delivered",
    "returned_refunded",
    "cancelled",
]
# how long past the route's stall limit the last scan is put: recent enough for the
# watcher's look-back (3 days), so it is told on the next pass
PAST_LIMIT = timedelta(hours=12)


@dataclass(frozen=True)
class Stalled:
    order_id: str
    email: str
    country: str
    language: str
    place: str
    days_without_scan: float


def _older(raw: dict[str, Any], by: timedelta) -> None:
    """Every time of a raw order, `by` earlier (the order keeps its own story)."""

    def back(value: str | None) -> str | None:
        return (datetime.fromisoformat(value) - by).isoformat() if value else value

    raw["placed_at"], raw["ship_by"] = back(raw["placed_at"]), back(raw["ship_by"])
    for event in (raw.get("shipment") or {}).get("events", []):
        event["at"] = back(event["at"])
    for refund in raw.get("refunds", []):
        refund["created_at"] = back(refund["created_at"])
        refund["completed_at"] = back(refund.get("completed_at"))


def stall(path: Path | None = None, order_id: str | None = None) -> Stalled:
    """Makes one moving parcel stall in the sample store file; which one."""
    path = path or default_store_path()
    data = json.loads(path.read_text(encoding="utf-8"))
    anchor = datetime.fromisoformat(data["anchor"])
    store = SampleStore(data, now=anchor)  # the file's own clock: times as written
    stats = RouteStats(store.all_orders())
    policies = load_policies()

    def language(country: str) -> str:
        policy = policies.countries.get(country)
        return policy.language if policy else "en"

    moving = []
    for order in store.all_orders():
        a = assess(order, stats, anchor)
        if a.state == "in_transit" and a.leg is not None and a.last_event is not None:
            moving.append((order, a))
    if order_id:
        moving = [(o, a) for o, a in moving if o.order_id == order_id]
        if not moving:
            raise SystemExit(f"{order_id}: not a parcel in transit in {path} (try another)")
    if not moving:
        raise SystemExit(f"no parcel in transit left in {path}")
    order, a = min(moving, key=lambda m: (language(m[0].country) == "en", m[0].order_id))
    assert a.leg is not None and a.last_event is not None
    last_scan = anchor - timedelta(days=a.leg.stall_after) - PAST_LIMIT
    by = a.last_event.at - last_scan
    raw = next(o for o in data["orders"] if o["order_id"] == order.order_id)
    _older(raw, by)
    raw["scenario"] = "stalled"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    return Stalled(
        order.order_id,
        order.email,
        order.country,
        language(order.country),
        a.last_event.place,
        round((anchor - last_scan).total_seconds() / 86400, 1),
    )


def list_orders() -> None:
    store = load_store()
    assert isinstance(store, SampleStore)
    print(f"{'situation':20s} {'order':10s} {'country':7s} email")
    for situation in SITUATIONS:
        found = [o for o in store.all_orders() if store.scenarios[o.order_id] == situation][:2]
        for order in found:
            print(f"{situation:20s} {order.order_id:10s} {order.country:7s} {order.email}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stall", nargs="?", const="", metavar="ORDER", default=None,
                        help="make a parcel stall (this order, or one chosen for you)")  # fmt: skip
    args = parser.parse_args()
    if args.stall is None:
        list_orders()
        return
    done = stall(order_id=args.stall or None)
    gateway = f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8080')}"
    every = os.environ.get("NOTICES_EVERY_S", "15")
    print(f"{done.order_id} ({done.country}, {done.email}) now has no scan for "
          f"{done.days_without_scan} days (last: {done.place}).")  # fmt: skip
    print(f"The running gateway tells the shopper once, in {done.language}, within ~{every} s:")
    print(
        f"  - with a chat about {done.order_id}: in the widget at {gateway}/ (and in the "
        "agent console's transcript)"
    )
    print(f"  - without one: by email to {done.email}, caught at {gateway}/console/mail")
    print(f"Ask the bot about {done.order_id} ({done.email}) to hear the stalled answer too.")
    print("(To get it in the widget: chat about an order in transit first, then run "
          "make demo-stall ORDER=<that order>.)")  # fmt: skip


if __name__ == "__main__":
    main()
