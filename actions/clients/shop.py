"""The shop store for actions, opened lazily on first use (no I/O at import time)."""

from __future__ import annotations

from functools import lru_cache

from shop.routes import RouteStats
from shop.store import ShopStore, load_store


@lru_cache(maxsize=1)
def store() -> ShopStore:
    return load_store()


@lru_cache(maxsize=1)
def route_stats() -> RouteStats:
    return RouteStats(store().all_orders())


def reset() -> None:
    """Forget the cached store (tests point SHOP_DATA elsewhere)."""
    store.cache_clear()
    route_stats.cache_clear()
