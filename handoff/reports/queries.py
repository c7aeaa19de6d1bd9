"""Report reads on the SQL store: the issue × product × country × week table, KPIs, export.

The summary table reads the `weekly_cells` and `day_cells` rollups whenever its filters allow
(see `summary_table`) and the cases table otherwise; both give the same rows.

Filters combine (AND); dates are shop-local days (`YYYY-MM-DD`, both ends included). KPIs
come from events: handoff rate and bot containment over conversations started in the range,
first-response time (the desk's own measure) and resolution time (start → first close) as
median and p90.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa

from handoff.reports.db import (
    DERIVED,
    ReportsDB,
    case_where,
    cases,
    day_cells,
    events,
    weekly_cells,
)

# the export's columns: what a case recorded (the derived ones are worked out again on import)
CASE_COLUMNS = tuple(c.name for c in cases.columns if c.name not in ("day", "week", *DERIVED))


def _day_bounds(db: ReportsDB, start: str | None, end: str | None) -> tuple[float, float]:
    low = high = None
    if start:
        low = dt.datetime.combine(dt.date.fromisoformat(start), dt.time(), db.zone).timestamp()
    if end:
        next_day = dt.date.fromisoformat(end) + dt.timedelta(days=1)
        high = dt.datetime.combine(next_day, dt.time(), db.zone).timestamp()
    return (low if low is not None else float("-inf"), high if high is not None else float("inf"))


CELL_FILTERS = frozenset({"from", "to", "country", "sku", "issue_type"})
Summary = list[dict[str, Any]]


def summary_table(db: ReportsDB, filters: Mapping[str, str | None]) -> Summary:
    """Case counts and refunds per (issue_type, sku, country, week).

    Served from the rollups when every filter is one they keep (dates, country, SKU, issue
    type): whole weeks of the range from `weekly_cells`, the days of a week cut by `from` or
    `to` from `day_cells` (see `summary_plan`). Any other filter reads the cases table.
    Rows are ordered by week, cases (most first), issue type, SKU and country; a missing
    dimension is None.
    """
    rows: Summary = []
    for source, part in summary_plan(filters):
        if source == "cases":
            rows += summary_from_cases(db, part)
            continue
        if source == "days":
            rows += _summary_rows(db, _days_query(part))
            continue
        cells = weekly_cells.c
        query = sa.select(
            cells.issue_type, cells.sku, cells.country, cells.week, cells.cases, cells.refunds
        ).where(*cell_where(part))
        query = query.order_by(
            cells.week, sa.desc(cells.cases), cells.issue_type, cells.sku, cells.country
        )
        rows += _summary_rows(db, query)
    return rows


Plan = list[tuple[str, dict[str, str]]]


def summary_plan(filters: Mapping[str, str | None]) -> Plan:
    """Where the summary of `filters` comes from, in week order: ("cells", filters) reads
    `weekly_cells` (its `from`/`to` are then the first and last whole week's Monday),
    ("days", filters) `day_cells` (the days of a week cut by the range), ("cases", filters)
    the cases table (everything, when a filter is one the rollups do not keep). The parts
    cover disjoint weeks."""
    active = {k: v for k, v in filters.items() if v}
    if not set(active) <= CELL_FILTERS:
        return [("cases", active)]
    start, end = active.get("from"), active.get("to")
    first = _monday_on_or_after(start) if start else None
    last = _full_week_ending_by(end) if end else None
    if first and last and first > last:  # no whole week in the range
        return [("days", active)]
    plan: Plan = []
    if first and start and first.isoformat() > start:
        edge = (first - dt.timedelta(days=1)).isoformat()
        plan.append(("days", {**active, "to": min(edge, end or edge)}))
    weeks = {k: v for k, v in active.items() if k not in ("from", "to")}
    if first:
        weeks["from"] = first.isoformat()
    if last:
        weeks["to"] = last.isoformat()
    plan.append(("cells", weeks))
    if last and end and (last + dt.timedelta(days=6)).isoformat() < end:
        plan.append(("days", {**active, "from": (last + dt.timedelta(days=7)).isoformat()}))
    return plan


def cell_where(part: Mapping[str, str], days: bool = False) -> list[Any]:
    """The WHERE terms on `weekly_cells` of a ("cells", filters) part of a summary plan, or
    with `days` on `day_cells` of a ("days", filters) part."""
    cells = (day_cells if days else weekly_cells).c
    grain = cells.day if days else cells.week
    where = [cells.cases > 0]
    where += [cells[n] == part[n] for n in ("country", "sku", "issue_type") if n in part]
    if "from" in part:
        where.append(grain >= part["from"])
    if "to" in part:
        where.append(grain <= part["to"])
    return where


def _days_query(part: Mapping[str, str]) -> sa.sql.Select:
    """A ("days", filters) part as summary rows: its days' cells added up per week."""
    days = day_cells.c
    dims = [days.issue_type, days.sku, days.country]
    n = sa.func.sum(days.cases)
    query = sa.select(*dims, days.week, n, sa.func.sum(days.refunds))
    query = query.where(*cell_where(part, days=True))
    return query.group_by(*dims, days.week).order_by(days.week, sa.desc(n), *dims)


def case_filter_where(filters: Mapping[str, str | None]) -> list[Any]:
    """The WHERE terms on `cases` of summary filters (off-rollup ones through their covering
    indexes); a name the table has no column for matches nothing."""
    return case_where(filters, covering=True)


def _monday_on_or_after(day: str) -> dt.date:
    date = dt.date.fromisoformat(day)
    return date + dt.timedelta(days=(7 - date.weekday()) % 7)


def _full_week_ending_by(day: str) -> dt.date:
    """The Monday of the last week whose Sunday is on or before `day`."""
    date = dt.date.fromisoformat(day)
    return date - dt.timedelta(days=date.weekday() + (0 if date.weekday() == 6 else 7))


def summary_from_cases(db: ReportsDB, filters: Mapping[str, str | None]) -> Summary:
    """The summary table straight from the cases table (any filter on any case column)."""
    dims = [sa.func.coalesce(cases.c[n], "").label(n) for n in ("issue_type", "sku", "country")]
    n = sa.func.count().label("cases")
    query = sa.select(
        *dims, cases.c.week, n, sa.func.coalesce(sa.func.sum(cases.c.refund_amount), 0.0)
    )
    query = query.where(*case_filter_where(filters))
    query = query.group_by(*dims, cases.c.week)
    query = query.order_by(cases.c.week, sa.desc(n), *dims)
    return _summary_rows(db, query)


def _summary_rows(db: ReportsDB, query: sa.sql.Select) -> Summary:
    """Runs a summary query on the driver's own cursor: a 100k-row answer spends its time
    in making rows, and SQLAlchemy's result objects would double that."""
    with db.engine.connect() as conn:
        compiled = query.compile(dialect=conn.dialect)
        params: Any = compiled.params
        if compiled.positional:
            params = tuple(params[name] for name in compiled.positiontup or ())
        cursor = conn.connection.cursor()
        try:
            cursor.execute(str(compiled), params)
            found = cursor.fetchall()
        finally:
            cursor.close()
    return [
        {
            "issue_type": issue or None,
            "sku": sku or None,
            "country": country or None,
            "week": week,
            "cases": int(n),
            "refunds": round(float(refunds), 2),
        }
        for issue, sku, country, week, n, refunds in found
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
