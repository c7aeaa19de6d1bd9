"""Print a few sample-store orders per situation, to try the bot with.

python -m shop.demo_orders
"""

from __future__ import annotations

from shop.store import SampleStore, load_store

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


def main() -> None:
    store = load_store()
    assert isinstance(store, SampleStore)
    print(f"{'situation':20s} {'order':10s} {'country':7s} email")
    for situation in SITUATIONS:
        found = [o for o in store.all_orders() if store.scenarios[o.order_id] == situation][:2]
        for order in found:
            print(f"{situation:20s} {order.order_id:10s} {order.country:7s} {order.email}")


if __name__ == "__main__":
    main()
