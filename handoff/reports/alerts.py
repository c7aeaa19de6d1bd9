"""Open red-light alerts from what the review loop stores: this week's cases against the
previous weeks' (the SQL `cases` table, live and imported alike), adjusted for the orders the
shop shipped per SKU, country and supplier in the same weeks (from the order store)."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from handoff.reports.cells import WEEK_S, cells_from_rows
from handoff.reports.db import ReportsDB, cases
from handoff.reports.redlight import RedLightConfig, compute_alerts
from shop.store import ShopStore

COLUMNS = ("case_id", "created_at", "order_id", "country", "sku", "issue_type")


def recent_cases(db: ReportsDB, since: float) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        query = sa.select(*[cases.c[n] for n in COLUMNS]).where(cases.c.created_at >= since)
        return [dict(r) for r in conn.execute(query).mappings()]


def shipped_rows(store: ShopStore, since: float) -> list[dict[str, Any]]:
    """One row per order line shipped since `since`, in the week its first scan fell in."""
    out = []
    for order in store.all_orders():
        shipment = order.shipment
        if shipment is None or not shipment.events:
            continue
        at = shipment.events[0].at.timestamp()
        if at < since:
            continue
        for line in order.lines:
            product = store.product(line.sku)
            out.append(
                {
                    # cells_from_rows places a row by the middle of its week
                    "week_start": at - WEEK_S / 2,
                    "sku": line.sku,
                    "country": order.country,
                    "supplier": product.supplier if product else None,
                    "orders": 1,
                }
            )
    return out


def open_alerts(
    db: ReportsDB, store: ShopStore, config: RedLightConfig, now: float | None = None
) -> list[dict[str, Any]]:
    now = time.time() if now is None else now
    since = now - (config.baseline_weeks + 1) * WEEK_S
    cells = cells_from_rows(recent_cases(db, since), shipped_rows(store, since), now, config)
    return [alert.to_json() for alert in compute_alerts(cells, config)]
