"""The reports page's KPI table (one row for everyone, per team or per agent): times as
median and p90, raw and in business hours, from the `cases` rows in scope and their events.
Definitions are in `handoff.reports.breakdowns`, whose filters and metrics it shares, so
each KPI drills down to exactly the cases `drilldown.case_list` lists."""

from __future__ import annotations

from typing import Any

import numpy as np
import sqlalchemy as sa

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
from handoff.reports.db import ReportsDB, cases

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
    """One row per key (everyone, each team or each agent) of the cases in scope."""
    key = sa.literal("all") if by == "all" else cases.c[by]
    where = case_where(filters)
    if by != "all":
        where.append(cases.c[by].is_not(None))
    terms = _metric_terms(db)

    def n_of(cond: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)

    sla_known = sa.and_(terms["handed_off"], cases.c.sla_breached.is_not(None))
    conv = cases.c.conversation_id
    alone = sa.or_(conv.is_(None), cases.c.conv_cases == 1)  # its conversation's only case
    counts = sa.select(
        key.label("key"),
        sa.func.count().label("cases"),
        (n_of(alone) + sa.func.count(sa.distinct(sa.case((cases.c.conv_cases > 1, conv))))).label(
            "conversations"
        ),
        *[n_of(terms[m]).label(m) for m in METRICS],
        n_of(sla_known).label("sla_known"),
        n_of(cases.c.polled == 1).label("polled"),
        sa.func.count(cases.c.csat).label("answered"),
        sa.func.avg(cases.c.csat).label("score"),
    ).where(*where)
    if by != "all":  # PostgreSQL groups by no constant
        counts = counts.group_by(key)
    times = _times(db, key, where)
    orders = sum(shipped(db, filters).values()) or None
    with db.engine.connect() as conn:
        found = conn.execute(counts).mappings().all()
    rows = []
    for r in sorted(found, key=lambda r: (-r["cases"], str(r["key"]))):
        if not r["cases"]:  # everyone, with nothing in scope
            continue
        n, handed = int(r["cases"]), int(r["handed_off"])
        t = times.get(r["key"], {})
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
                "first_response_s": _percentiles(t.get("first", [])),
                "first_response_bh_s": _percentiles(t.get("first_bh", [])),
                "resolution_s": _percentiles(t.get("resolution", [])),
                "resolution_bh_s": _percentiles(t.get("resolution_bh", [])),
                "reply_s": _percentiles(t.get("reply", [])),
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


def _times(db: ReportsDB, key: Any, where: list[Any]) -> dict[Any, dict[str, np.ndarray]]:
    """Per key: first response, reply and resolution times of the handed-off cases in scope,
    raw and in business hours (facts of the case rows)."""
    names = ("first", "first_bh", "reply", "resolution", "resolution_bh")
    cols = [cases.c[n] for n in TIMES]
    query = sa.select(key, *cols).where(*where, cases.c.agent.is_not(None))
    found = _raw_rows(db, query)
    if not found:
        return {}
    columns = list(zip(*found, strict=True))
    keys = np.asarray([str(k) for k in columns[0]])
    measures = {n: np.asarray(c, dtype=float) for n, c in zip(names, columns[1:], strict=True)}
    out: dict[Any, dict[str, np.ndarray]] = {}
    labels, index = np.unique(keys, return_inverse=True)
    for i, name in enumerate(labels):
        mine = index == i
        out[name] = {m: values[mine] for m, values in measures.items()}
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
