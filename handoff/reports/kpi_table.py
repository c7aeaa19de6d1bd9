"""The reports page's KPI table (one row for everyone, per team or per agent): times as
median and p90, raw and in business hours, from the KPI facts of the `cases` rows in scope
(`case_facts.py`). Under date, team and agent filters alone it reads the rollups of those
facts (`kpi_rollup.py`): sums per day, team and agent, and exact percentiles from bucket
counts plus one bucket's values; other filters scan the case rows. Definitions are in
`handoff.reports.breakdowns`, whose filters and metrics it shares, so each KPI drills down
to exactly the cases `drilldown.case_list` lists."""

from __future__ import annotations

from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from handoff.reports.breakdowns import (
    METRICS,
    Filters,
    _metric_terms,
    _rate,
    case_where,
    shipped,
)
from handoff.reports.business_hours import BusinessHours, business_hours
from handoff.reports.case_facts import TIMES
from handoff.reports.db import ReportsDB, cases, kpi_cells, kpi_times
from handoff.reports.kpi_rollup import EDGES, SUMS, ZERO_BUCKET

ROLLUP_FILTERS = frozenset({"from", "to", "team", "agent"})  # the KPI rollups' own keys
NAMES = dict(zip(TIMES, ("first", "first_bh", "reply", "resolution", "resolution_bh"), strict=True))
EMPTY: dict[str, Any] = {"n": 0, "median": None, "p90": None}

__all__ = ["BusinessHours", "business_hours", "kpis"]


def _percentiles(values: np.ndarray | list[float]) -> dict[str, Any]:
    """n, median and p90 (the value at rank round(0.9 (n - 1))) of the values given."""
    a = np.sort(np.asarray(values, dtype=float))
    a = a[~np.isnan(a)]
    if not len(a):
        return {"n": 0, "median": None, "p90": None}
    p90 = a[min(len(a) - 1, int(0.9 * (len(a) - 1) + 0.5))]
    return {"n": len(a), "median": round(float(np.median(a)), 1), "p90": round(float(p90), 1)}


def kpis(db: ReportsDB, filters: Filters, by: str) -> dict[str, Any]:
    """One row per key (everyone, each team or each agent) of the cases in scope: from the
    KPI rollups when the filters are only dates, team and agent, else from the case rows."""
    rolled = all(name in ROLLUP_FILTERS for name, value in filters.items() if value)
    with db.engine.connect() as conn:
        if rolled:
            found, times = _rolled_counts(conn, filters, by), _rolled_times(conn, filters, by)
        else:
            found, times = (
                _scanned_counts(conn, filters, by, _metric_terms(db)),
                _scanned_times(db, filters, by),
            )
    orders = sum(shipped(db, filters).values()) or None
    rows = []
    for r in sorted(found, key=lambda r: (-r["cases"], str(r["key"]))):
        if not r["cases"]:  # everyone, with nothing in scope
            continue
        n, handed = int(r["cases"]), int(r["handed_off"])
        t = times.get(str(r["key"]), {})
        sla_known_n = int(r["sla_known"])
        rows.append(
            {
                "key": r["key"],
                "conversations": int(r["conversations"]),
                "cases": n,
                "handed_off": handed,
                "bot_resolved": int(r["bot_resolved"]),
                "handoff_rate": _rate(handed, n),
                "bot_containment": _rate(int(r["bot_resolved"]), n),
                "first_response_s": t.get("first", EMPTY),
                "first_response_bh_s": t.get("first_bh", EMPTY),
                "resolution_s": t.get("resolution", EMPTY),
                "resolution_bh_s": t.get("resolution_bh", EMPTY),
                "reply_s": t.get("reply", EMPTY),
                "fcr": _rate(handed - int(r["fcr_miss"]), handed),
                "fcr_misses": int(r["fcr_miss"]),
                "sla_hit_rate": _rate(sla_known_n - int(r["sla_miss"]), sla_known_n),
                "sla_misses": int(r["sla_miss"]),
                "csat": {
                    "score": round(float(r["score"]), 2) if r["score"] is not None else None,
                    "response_rate": _rate(int(r["answered"]), int(r["polled"])),
                    "answered": int(r["answered"]),
                    "low": int(r["csat_low"]),
                },
                "complaint_rate": _rate(n, orders),
                "orders_shipped": orders,
            }
        )
    return {"by": by, "rows": rows}


def _key(by: str, table: sa.Table = cases) -> Any:
    return sa.literal("all") if by == "all" else table.c[by]


def _n_of(cond: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def _scope(filters: Filters, by: str) -> list[Any]:
    where = case_where(filters)
    if by != "all":
        where.append(cases.c[by].is_not(None))
    return where


def _grouped(query: Any, key: Any, by: str) -> Any:
    return query.group_by(key) if by != "all" else query  # PostgreSQL groups by no constant


def _scanned_counts(
    conn: Connection, filters: Filters, by: str, terms: dict[str, Any]
) -> list[dict[str, Any]]:
    """The KPI sums of the case rows in scope (one grouped scan of their facts)."""
    key = _key(by)
    conv = cases.c.conversation_id
    alone = sa.or_(conv.is_(None), cases.c.conv_cases == 1)  # its conversation's only case
    shared = sa.func.count(sa.distinct(sa.case((cases.c.conv_cases > 1, conv))))
    sla_known = sa.and_(terms["handed_off"], cases.c.sla_breached.is_not(None))
    counts = sa.select(
        key.label("key"),
        sa.func.count().label("cases"),
        (_n_of(alone) + shared).label("conversations"),
        *[_n_of(terms[m]).label(m) for m in METRICS],
        _n_of(sla_known).label("sla_known"),
        _n_of(cases.c.polled == 1).label("polled"),
        sa.func.count(cases.c.csat).label("answered"),
        sa.func.avg(cases.c.csat).label("score"),
    ).where(*_scope(filters, by))
    return [dict(r) for r in conn.execute(_grouped(counts, key, by)).mappings()]


def _cell_where(table: sa.Table, filters: Filters, by: str) -> list[Any]:
    t, where = table.c, []
    if filters.get("from"):
        where.append(t.day >= filters["from"])
    if filters.get("to"):
        where.append(t.day <= filters["to"])
    where += [t[n] == filters[n] for n in ("team", "agent") if filters.get(n)]
    if by != "all":
        where.append(t[by] != "")
    return where


def _rolled_counts(conn: Connection, filters: Filters, by: str) -> list[dict[str, Any]]:
    """The KPI sums from `kpi_cells`; distinct conversations counted only among the cases
    that share theirs."""
    key = _key(by, kpi_cells)
    sums = [sa.func.sum(kpi_cells.c[n]).label(n) for n in (*SUMS, "score")]
    query = sa.select(key.label("key"), *sums).where(*_cell_where(kpi_cells, filters, by))
    case_key = _key(by)
    shared = sa.select(case_key, sa.func.count(sa.distinct(cases.c.conversation_id)))
    shared = shared.where(*_scope(filters, by), cases.c.conv_cases > 1)
    any_shared = sa.select(cases.c.case_id).where(cases.c.conv_cases > 1).limit(1)
    others = {}  # most conversations have one case: then there is nothing to count
    if conn.execute(any_shared).first() is not None:
        others = dict(conn.execute(_grouped(shared, case_key, by)).all())
    out = []
    for r in conn.execute(_grouped(query, key, by)).mappings():
        row = dict(r)
        if row["cases"] is None:
            continue
        answered = int(row["answered"])
        row["score"] = float(row["score"]) / answered if answered else None
        row["conversations"] = int(row["alone"]) + int(others.get(row["key"], 0))
        out.append(row)
    return out


def _ranks(n: int) -> tuple[int, int, int]:
    """The 0-based ranks of the median's two middles and of the p90 (see `_percentiles`)."""
    return (n - 1) // 2, n // 2, min(n - 1, int(0.9 * (n - 1) + 0.5))


def _rolled_times(conn: Connection, filters: Filters, by: str) -> dict[str, dict[str, Any]]:
    """Per key and time: n, median and p90, the ranks found in the `kpi_times` bucket counts
    and the values read from the cases of the buckets they fall in."""
    t = kpi_times.c
    key = _key(by, kpi_times)
    query = sa.select(key, t.measure, t.bucket, sa.func.sum(t.n))
    query = query.where(*_cell_where(kpi_times, filters, by))
    query = query.group_by(*([key] if by != "all" else []), t.measure, t.bucket)
    buckets: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for k, measure, bucket, n in conn.execute(query):
        if n:
            buckets.setdefault((str(k), measure), []).append((int(bucket), int(n)))
    out: dict[str, dict[str, Any]] = {}
    for (k, measure), found in buckets.items():
        found.sort()
        total = sum(n for _, n in found)
        lo, hi, p90 = _ranks(total)
        where = _scope(filters, by) + ([cases.c[by] == k] if by != "all" else [])
        got = _values_at(conn, cases.c[measure], where, found, {lo, hi, p90})
        median = got[lo] if lo == hi else (got[lo] + got[hi]) / 2
        out.setdefault(k, {})[NAMES[measure]] = {
            "n": total,
            "median": round(float(median), 1),
            "p90": round(float(got[p90]), 1),
        }
    return out


def _values_at(
    conn: Connection, col: Any, where: list[Any], found: list[tuple[int, int]], ranks: set[int]
) -> dict[int, float]:
    """The values at these ranks (0-based, ascending) of the cases in scope, read from the
    buckets the ranks fall in."""
    out: dict[int, float] = {}
    before = 0
    for bucket, n in found:
        mine = sorted(r - before for r in ranks if before <= r < before + n)
        if mine and bucket == ZERO_BUCKET:
            out.update({before + r: 0.0 for r in mine})
        elif mine:
            low, high = float(EDGES[bucket]), float(EDGES[bucket + 1])
            query = (
                sa.select(col)
                .where(*where, col >= low, col < high)
                .order_by(col)
                .limit(mine[-1] - mine[0] + 1)
                .offset(mine[0])
            )
            values = list(conn.execute(query).scalars())
            for r in mine:
                out[before + r] = float(values[r - mine[0]])
        before += n
    return out


def _scanned_times(db: ReportsDB, filters: Filters, by: str) -> dict[str, dict[str, Any]]:
    """Per key: the times of the handed-off case rows in scope, fetched and ranked here."""
    key = _key(by)
    query = sa.select(key, *[cases.c[n] for n in TIMES])
    found = _raw_rows(db, query.where(*_scope(filters, by), cases.c.agent.is_not(None)))
    if not found:
        return {}
    columns = list(zip(*found, strict=True))
    keys = np.asarray([str(k) for k in columns[0]])
    measures = {
        NAMES[n]: np.asarray(c, dtype=float) for n, c in zip(TIMES, columns[1:], strict=True)
    }
    out: dict[str, dict[str, Any]] = {}
    labels, index = np.unique(keys, return_inverse=True)
    for i, name in enumerate(labels):
        mine = index == i
        out[str(name)] = {m: _percentiles(values[mine]) for m, values in measures.items()}
    return out


def _raw_rows(db: ReportsDB, query: Any) -> list[tuple[Any, ...]]:
    """A query's rows from the driver's cursor (no SQLAlchemy row objects: many rows)."""
    with db.engine.connect() as conn:
        compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        params: Any = compiled.params
        if compiled.positional:
            params = tuple(params[name] for name in compiled.positiontup or ())
        cursor = conn.connection.cursor()
        try:
            cursor.execute(str(compiled), params)
            return list(cursor.fetchall())
        finally:
            cursor.close()
