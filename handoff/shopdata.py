"""The gateway's read-only view of the shop (orders, policies), opened lazily on first use.

The gateway reads the commerce layer (`shop/`) directly; it never imports the action
server's package.
"""

from __future__ import annotations

from functools import lru_cache

from shop.policy import load_policies
from shop.routes import RouteStats
from shop.store import ShopStore, load_store


@lru_cache(maxsize=1)
def store() -> ShopStore:
    return load_store()


@lru_cache(maxsize=1)
def route_stats() -> RouteStats:
    return RouteStats(store().all_orders())


def country_language(country: str | None) -> str | None:
    """The language shoppers of a destination country usually write (policies.yml)."""
    if not country:
        return None
    policy = load_policies().countries.get(country)
    return policy.language if policy else None


def order_email(order_id: str | None) -> str | None:
    if not order_id:
        return None
    order = store().get_order(order_id)
    return order.email if order else None
