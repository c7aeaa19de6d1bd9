"""The reports page's breakdowns on the SQL store: filters, trend and orders shipped here;
loss (`loss.py`), the KPI table (`kpi_table.py`) and the cases behind a number (`drilldown.py`)
share these filters and definitions.

Every number here is a count of rows of the `cases` table under the page's filters (plus,
for a KPI, one of the `METRICS` conditions), and `drilldown.case_list` lists exactly those
rows, so a number and its drill-down always agree. Filters combine (AND); `from` and `to` are
shop-local days, both included. Definitions:

- handed off: a person closed the case (`agent` set); bot resolved: `resolved_by` is "bot".
  Rates are over the cases in scope; `conversations` counts their distinct conversations.
- first response: the desk's own measure (queue to first human reply, bot time excluded);
  reply time: first response minus the queue wait (the agent's own part); resolution: from
  the handoff (first `escalated`/`queued` event) to the first `closed` event. Median and p90,
  raw and counted in business hours only (`business_hours` in handoff.yml if set, else
  Mon-Fri 09:00-18:00 in the shop zone). Without events, the handoff is the case's time.
- FCR: a handed-off case closed once, by one agent, never handed back, and no later case for
  the same order within 7 days. SLA hit: first response within target (`sla_breached`).
- CSAT: a conversation's lowest answer (1-5); low is <= 2; the response rate is answered
  over asked. Complaint rate: cases over the orders shipped in scope (`weekly_shipped`).
- loss: refunds (`refund_amount`), compensation (accepted remedies that are no refund, and
  fixed-value coupons, from events; each on the case its event names, else on its
  conversation's first case: the `compensation` fact) and reship cost (the SKU's unit cost
  per reshipped case), all converted to `REPORT_CURRENCY` with the shop's exchange rates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from handoff.reports import loss_cells
from handoff.reports.db import (
    CELL_DIMS,
    ReportsDB,
    cases,
    loss_cells_table,
    week_of,
    weekly_cells,
    weekly_shipped,
)
from handoff.reports.db import (
    case_where as db_case_where,
)

FILTERS: tuple[str, ...] = ("from", "to", "sku", "country", "issue_type", "supplier")
FILTERS += ("warehouse", "carrier", "channel", "team", "agent")
TREND_BY = ("sku", "country", "issue_type", "supplier")
CELL_DIMS_SET = frozenset(CELL_DIMS)  # weekly_cells' dimensions: trend by one is served there
LOSS_DIMS = frozenset(loss_cells.DIMS) - {"currency"}  # loss_cells': the rest of trend's
LOSS_BY = ("issue_type", "sku", "supplier", "warehouse", "carrier", "country")
KPI_BY = ("all", "team", "agent")
SHIPPED_DIMS = ("sku", "country", "supplier", "warehouse")
TOP = 8
MAX_LIMIT = 200
Filters = Mapping[str, str | None]


def case_where(filters: Filters) -> list[Any]:
    """The WHERE terms of the reports page's `filters` on the cases table."""
    return db_case_where(filters, FILTERS)


# --- trend -------------------------------------------------------------------------------


def _mondays(first: str, last: str) -> list[str]:
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    out = []
    while day <= end:
        out.append(day.isoformat())
        day += dt.timedelta(days=7)
    return out


def week_bounds(week: Any, filters: Filters) -> tuple[list[Any], list[str]]:
    """The WHERE terms on a rollup's `week` column for the whole weeks inside `from`..`to`,
    and the weeks those days cut (a `from` after a Monday, a `to` before a Sunday), which a
    rollup by week cannot split: those are counted on their cases rows."""
    low, high = filters.get("from"), filters.get("to")
    first = dt.date.fromisoformat(str(low)) if low else None
    last = dt.date.fromisoformat(str(high)) if high else None
    cut = set()
    if first and first.weekday() != 0:
        cut.add(week_of(first))
    if last and last.weekday() != 6:
        cut.add(week_of(last))
    where = []
    if first:
        where.append(week >= week_of(first))
    if last:
        where.append(week <= week_of(last))
    if cut:
        where.append(week.not_in(sorted(cut)))
    return where, sorted(cut)


def trend(db: ReportsDB, filters: Filters, by: str, top: int = TOP) -> dict[str, Any]:
    """Weekly cases of the `top` keys of `by` (most cases first); the rest as "other".

    Served from `weekly_cells` (kept by every case write) when `by` and every filter are its
    dimensions, else from `loss_cells` when they are among its (supplier, warehouse,
    carrier): whole weeks in range come from the cells, and a week that `from` or `to` cuts
    is counted on its own cases rows (indexed by week); other filters scan the cases.
    """
    used = {by} | {n for n, v in filters.items() if v} - {"from", "to"}
    table = weekly_cells if used <= CELL_DIMS_SET else loss_cells_table
    if not used <= LOSS_DIMS:
        return _trend_scan(db, filters, by, top)
    t = table.c
    where, cut = week_bounds(t.week, filters)
    where += [t[n] == v for n, v in filters.items() if v and n in LOSS_DIMS]
    n_cases = sa.func.sum(t.cases)
    query = sa.select(t.week, t[by], n_cases).where(*where).group_by(t.week, t[by])
    with db.engine.connect() as conn:
        found = [
            (week, key or None, int(n)) for week, key, n in conn.execute(query.having(n_cases > 0))
        ]
        if cut:
            col = cases.c[by]
            edge = sa.select(cases.c.week, col, sa.func.count()).where(*case_where(filters))
            edge = edge.where(cases.c.week.in_(cut)).group_by(cases.c.week, col)
            found += conn.execute(edge).all()
    return _trend_series(found, filters, by, top)


def _trend_scan(db: ReportsDB, filters: Filters, by: str, top: int = TOP) -> dict[str, Any]:
    """`trend` counted on the cases table (the reference the fast path must equal)."""
    col = cases.c[by]
    query = sa.select(cases.c.week, col, sa.func.count()).where(*case_where(filters))
    with db.engine.connect() as conn:
        found = conn.execute(query.group_by(cases.c.week, col)).all()
    return _trend_series(found, filters, by, top)


def _trend_series(found: list[Any], filters: Filters, by: str, top: int) -> dict[str, Any]:
    """The trend answer from (week, key, cases) rows (one row per week and key, cases > 0)."""
    seen = sorted({w for w, _, _ in found})
    low, high = filters.get("from"), filters.get("to")
    start = week_of(dt.date.fromisoformat(low)) if low else None
    end = week_of(dt.date.fromisoformat(high)) if high else None
    first, last = start or (seen[0] if seen else None), end or (seen[-1] if seen else None)
    weeks = _mondays(first, last) if first and last and found else []
    index = {w: i for i, w in enumerate(weeks)}
    totals: dict[str, int] = defaultdict(int)
    for _, key, n in found:
        if key is not None:
            totals[key] += n
    named = sorted(totals, key=lambda k: (-totals[k], k))[:top]
    counts = {k: [0] * len(weeks) for k in named}
    other = [0] * len(weeks)
    for week, key, n in found:
        (counts[key] if key in counts else other)[index[week]] += n
    series = [{"key": k, "counts": counts[k]} for k in named]
    if any(other):
        series.append({"key": "other", "counts": other})
    return {"by": by, "weeks": weeks, "series": series}


# --- orders shipped ----------------------------------------------------------------------


def shipped(db: ReportsDB, filters: Filters, by: str | None = None) -> dict[str | None, int]:
    """Orders shipped in scope per `by` key (one `None` key when `by` is None); empty when
    the filters name something orders shipped are not kept by (a carrier)."""
    if filters.get("carrier"):
        return {}
    t = weekly_shipped.c
    where = [t[n] == filters[n] for n in SHIPPED_DIMS if filters.get(n)]
    if filters.get("from"):
        where.append(t.week >= week_of(dt.date.fromisoformat(str(filters["from"]))))
    if filters.get("to"):
        where.append(t.week <= str(filters["to"]))
    key = t[by] if by else sa.literal(None)
    query = sa.select(key, sa.func.sum(t.orders)).where(*where)
    if by:
        query = query.group_by(t[by])
    with db.engine.connect() as conn:
        return {k: int(n) for k, n in conn.execute(query) if n is not None}


def _rate(part: float, whole: float | None) -> float | None:
    return round(part / whole, 4) if whole else None


# --- KPIs --------------------------------------------------------------------------------


def _inline(value: int) -> Any:
    """A constant written into the SQL: SQLite then sees a rare value's index range as
    narrow (a bound parameter made it walk the whole created_at index)."""
    return sa.literal_column(str(int(value)), sa.Integer)


def _metric_terms(db: ReportsDB) -> dict[str, Any]:
    """Each drill-down metric as a condition on a case row (the same in counts and lists),
    on the facts kept on the row when it or its events were written (`case_facts.py`)."""
    return {
        "handed_off": cases.c.agent.is_not(None),
        "bot_resolved": cases.c.resolved_by == "bot",
        "fcr_miss": cases.c.fcr_miss == _inline(1),  # handed off, and a miss
        "sla_miss": sa.func.lower(cases.c.sla_breached).in_(("true", "1")),
        "csat_low": cases.c.csat <= _inline(2),
    }


METRICS = ("handed_off", "bot_resolved", "fcr_miss", "sla_miss", "csat_low")
