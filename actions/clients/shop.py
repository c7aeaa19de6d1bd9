"""The shop store for actions, opened lazily on first use (no I/O at import time).

The same lazy store the gateway reads (`handoff.shopdata`): one cache, one place to reset.
"""

from __future__ import annotations

from handoff.shopdata import route_stats, store

__all__ = ["reset", "route_stats", "store"]


def reset() -> None:
    """Forget the cached store (tests point SHOP_DATA elsewhere)."""
    store.cache_clear()
    route_stats.cache_clear()
