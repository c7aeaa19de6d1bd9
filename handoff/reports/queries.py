"""Report reads on the SQL store: the issue × product × country × week table, KPIs, export.

Filters combine (AND); dates are shop-local days (`YYYY-MM-DD`, both ends included). KPIs
come from events: handoff rate and bot containment over conversations started in the range,
first-response time (the desk's own measure) and resolution time (start → first close) as
median and p90.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from handoff.reports.db import ReportsDB, cases, events

CASE_COLUMNS = tuple(c.name for c in cases.columns if c.name not in ("day", "week"))


def _day_bounds(db: ReportsDB, start: str | None, end: str | None) -> tuple[float, float]:
    low = high = None
    if start:
        low = dt.datetime.combine(dt.date.fromisoformat(start), dt.time(), db.zone).timestamp()
    if end:
        next_day = dt.date.fromisoformat(end) + dt.timedelta(days=1)
        high = dt.datetime.combine(next_day, dt.time(), db.zone).timestamp()
    return (low if low is not None else float("-inf"), high if high is not None else float("inf"))


def summary_table(db: ReportsDB, filters: dict[str, str | None]) -> list[dict[str, Any]]:
    """Case counts and refunds per (issue_type, sku, country, week)."""
    query = sa.select(
        cases.c.issue_type,
        cases.c.sku,
        cases.c.country,
        cases.c.week,
        sa.func.count().label("cases"),
        sa.func.coalesce(sa.func.sum(cases.c.refund_amount), 0.0).label("refunds"),
    )
    if filters.get("from"):
        query = query.where(cases.c.day >= filters["from"])
    if filters.get("to"):
        query = query.where(cases.c.day <= filters["to"])
    for name in ("country", "sku", "issue_type"):
        if filters.get(name):
            query = query.where(cases.c[name] == filters[name])
    query = query.group_by(cases.c.issue_type, cases.c.sku, cases.c.country, cases.c.week)
    query = query.order_by(cases.c.week, sa.desc("cases"), cases.c.issue_type)
    with db.engine.connect() as conn:
        return [
            {**dict(row), "cases": int(row["cases"]), "refunds": round(float(row["refunds"]), 2)}
            for row in conn.execute(query).mappings()
        ]


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p90": None, "n": 0}
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return {"median": round(statistics.median(values), 1), "p90": round(p90, 1), "n": len(values)}


def kpis(db: ReportsDB, start: str | None, end: str | None) -> dict[str, Any]:
    low, high = _day_bounds(db, start, end)
    in_range = sa.and_(events.c.at >= low, events.c.at < high) if start or end else sa.true()
    with db.engine.connect() as conn:
        started = {
            conv: at
            for conv, at in conn.execute(
                sa.select(events.c.conversation_id, sa.func.min(events.c.at))
                .where(events.c.kind == "conversation_started", in_range)
                .group_by(events.c.conversation_id)
            )
        }
        escalated = {
            conv
            for (conv,) in conn.execute(
                sa.select(events.c.conversation_id)
                .where(events.c.kind.in_(("escalated", "queued")), in_range)
                .distinct()
            )
        }
        first_replies = [
            json.loads(data).get("first_response_s")
            for (data,) in conn.execute(
                sa.select(events.c.data).where(events.c.kind == "first_human_reply", in_range)
            )
        ]
        closes = conn.execute(
            sa.select(events.c.conversation_id, sa.func.min(events.c.at))
            .where(events.c.kind == "closed", in_range)
            .group_by(events.c.conversation_id)
        ).all()
    total = len(started)
    handed = len(escalated & set(started))
    return {
        "conversations": total,
        "handed_off": handed,
        "handoff_rate": round(handed / total, 4) if total else None,
        "bot_containment": round((total - handed) / total, 4) if total else None,
        "first_response_s": _percentiles([float(v) for v in first_replies if v is not None]),
        "resolution_s": _percentiles(
            [at - started[conv] for conv, at in closes if conv in started and at >= started[conv]]
        ),
    }


def case_pages(db: ReportsDB, size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    """Every case in pages (keyset on case_id), for a streamed export."""
    after = ""
    while True:
        with db.engine.connect() as conn:
            rows = [
                dict(r)
                for r in conn.execute(
                    sa.select(*[cases.c[n] for n in CASE_COLUMNS])
                    .where(cases.c.case_id > after)
                    .order_by(cases.c.case_id)
                    .limit(size)
                ).mappings()
            ]
        if not rows:
            return
        yield rows
        after = rows[-1]["case_id"]
