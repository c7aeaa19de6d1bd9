"""Open red-light alerts from what the review loop stores: this week's cases against the
previous weeks' (the SQL `cases` table, live and imported alike), adjusted for the orders the
shop shipped per SKU, country and supplier in the same weeks.

Orders shipped come from the reports database's `weekly_shipped` when it holds any for the
window (the shop's orders seeded at start-up, or an imported history such as `make run`'s),
else straight from the order store. A calendar week's total is spread evenly over its days
(so far, for the current week), so the red light's rolling weeks (the last 7 days, the 7
before...) get their share."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import sqlalchemy as sa

from handoff.reports.cells import WEEK_S, cells_from_rows
from handoff.reports.db import (
    ReportsDB,
    cases,
    local_day,
    shipped_from_store,
    week_of,
    weekly_shipped,
)
from handoff.reports.redlight import RedLightConfig, compute_alerts
from shop.store import ShopStore

COLUMNS = ("case_id", "created_at", "order_id", "country", "sku", "issue_type")


def recent_cases(db: ReportsDB, since: float) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        query = sa.select(*[cases.c[n] for n in COLUMNS]).where(cases.c.created_at >= since)
        return [dict(r) for r in conn.execute(query).mappings()]


def shipped_rows(store: ShopStore, since: float) -> list[dict[str, Any]]:
    """One row per order line shipped since `since`, in the week its first scan fell in
    (`cells_from_rows` places a row by the middle of its week: the scan is that middle)."""
    return [
        {**row, "week_start": row["week_start"] - WEEK_S / 2}
        for row in shipped_from_store(store, since)
    ]


def stored_shipped_rows(db: ReportsDB, since: float) -> list[dict[str, Any]]:
    """`weekly_shipped` rows of the window, one per day with its share of the week's orders
    (the current week's orders shipped by today, so over its days so far)."""
    first = week_of(local_day(since, db.zone))
    with db.engine.connect() as conn:
        t = weekly_shipped.c
        query = sa.select(t.week, t.sku, t.country, t.supplier, t.orders).where(t.week >= first)
        found = conn.execute(query).all()
    today = local_day(time.time(), db.zone)
    out = []
    for week, sku, country, supplier, orders in found:
        monday = dt.date.fromisoformat(week)
        days = max(1, min(7, (today - monday).days + 1))  # this week: shipped by today
        for d in range(days):
            noon = dt.datetime.combine(monday + dt.timedelta(days=d), dt.time(12), db.zone)
            out.append(
                {
                    # cells_from_rows places a row by the middle of its week: this day's noon
                    "week_start": noon.timestamp() - WEEK_S / 2,
                    "sku": sku,
                    "country": country,
                    "supplier": supplier,
                    "orders": orders / days,
                }
            )
    return out


def open_alerts(
    db: ReportsDB, store: ShopStore, config: RedLightConfig, now: float | None = None
) -> list[dict[str, Any]]:
    now = time.time() if now is None else now
    since = now - (config.baseline_weeks + 1) * WEEK_S
    shipped = stored_shipped_rows(db, since) or shipped_rows(store, since)
    cells = cells_from_rows(recent_cases(db, since), shipped, now, config)
    return [alert.to_json() for alert in compute_alerts(cells, config)]
