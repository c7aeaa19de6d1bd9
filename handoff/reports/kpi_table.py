"""The reports page's KPI table (one row for everyone, per team or per agent): times as
median and p90, raw and in business hours, from the `cases` rows in scope and their events.
Definitions are in `handoff.reports.breakdowns`, whose filters and metrics it shares, so
each KPI drills down to exactly the cases `drilldown.case_list` lists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
import yaml

from handoff.reports.breakdowns import (
    METRICS,
    Filters,
    _metric_terms,
    _rate,
    _ratings,
    case_where,
    shipped,
)
from handoff.reports.db import ReportsDB, cases, events


@dataclass(frozen=True)
class BusinessHours:
    zone: ZoneInfo
    days: frozenset[int]  # Monday = 0
    open_s: int  # seconds after local midnight
    close_s: int

    def seconds(self, start: float, end: float) -> float:
        """Seconds of [start, end) inside opening hours (shop-local days)."""
        return float(self.between(np.array([start]), np.array([end]))[0])

    def between(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """`seconds` of many intervals at once (epoch seconds; NaN in, NaN out)."""
        return np.maximum(self._open_until(end) - self._open_until(start), 0.0)

    def _open_until(self, at: np.ndarray) -> np.ndarray:
        """Opening-hours seconds from a Monday long ago up to each time: local time is
        the UTC time plus the zone's offset in that hour (DST moves at night)."""
        hour = np.floor(at / 3600.0)
        known = ~np.isnan(hour)
        offsets = np.zeros_like(at)
        if known.any():
            hours, where = np.unique(hour[known], return_inverse=True)
            shift = [_offset(self.zone, float(h) * 3600.0) for h in hours]
            offsets[known] = np.asarray(shift)[where]
        local = at + offsets
        day = np.floor(local / 86400.0)
        since_monday = day + 3  # 1970-01-01 was a Thursday
        week, weekday = np.floor_divide(since_monday, 7), np.mod(since_monday, 7)
        span = float(max(0, self.close_s - self.open_s))
        is_open = np.array([d in self.days for d in range(7)], dtype=float)
        before = np.concatenate([[0.0], np.cumsum(is_open)])
        slot = np.nan_to_num(weekday).astype(int)
        inside = np.clip(local - day * 86400.0 - self.open_s, 0.0, span) * is_open[slot]
        out: np.ndarray = week * len(self.days) * span + before[slot] * span + inside
        out[~known] = np.nan
        return out


def _offset(zone: ZoneInfo, at: float) -> float:
    offset = dt.datetime.fromtimestamp(at, zone).utcoffset()
    return offset.total_seconds() if offset else 0.0


DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=4)
def business_hours(zone: ZoneInfo) -> BusinessHours:
    """`business_hours` of handoff.yml (timezone, days, open, close) if set, else Mon-Fri
    09:00-18:00 in the shop zone. (The chat hours there say when chats are answered at all.)"""
    from handoff.routing.config import CONFIG_FILE

    doc = yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8")) or {}
    raw = doc.get("business_hours") or {}

    def secs(text: str) -> int:
        hours, minutes = str(text).split(":")
        return int(hours) * 3600 + int(minutes) * 60

    days = raw.get("days") or DAY_NAMES[:5]
    return BusinessHours(
        zone=ZoneInfo(raw["timezone"]) if raw.get("timezone") else zone,
        days=frozenset(DAY_NAMES.index(str(d).lower()[:3]) for d in days),
        open_s=secs(raw.get("open", "09:00")),
        close_s=secs(raw.get("close", "18:00")),
    )


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
    ratings = _ratings(db)
    asked = sa.select(events.c.conversation_id).where(events.c.kind == "csat_asked")

    def n_of(cond: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)

    sla_known = sa.and_(terms["handed_off"], cases.c.sla_breached.is_not(None))
    polled = sa.or_(cases.c.conversation_id.in_(asked), ratings.c.rating.is_not(None))
    counts = (
        sa.select(
            key.label("key"),
            sa.func.count().label("cases"),
            # a case without a conversation is one of its own
            (
                sa.func.count(sa.distinct(cases.c.conversation_id))
                + n_of(cases.c.conversation_id.is_(None))
            ).label("conversations"),
            *[n_of(terms[m]).label(m) for m in METRICS],
            n_of(sla_known).label("sla_known"),
            n_of(polled).label("polled"),
            sa.func.count(ratings.c.rating).label("answered"),
            sa.func.avg(ratings.c.rating).label("score"),
        )
        .select_from(cases.outerjoin(ratings, ratings.c.conv == cases.c.conversation_id))
        .where(*where)
    )
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
    raw and in business hours."""
    scope = sa.and_(*where, cases.c.agent.is_not(None))
    handoff_kinds = ("escalated", "queued")
    marks = (
        sa.select(
            events.c.conversation_id.label("conv"),
            sa.func.min(sa.case((events.c.kind.in_(handoff_kinds), events.c.at))).label("handoff"),
            sa.func.min(sa.case((events.c.kind == "closed", events.c.at))).label("closed"),
        )
        .where(
            events.c.kind.in_((*handoff_kinds, "closed")),
            events.c.conversation_id.in_(sa.select(cases.c.conversation_id).where(scope)),
        )
        .group_by(events.c.conversation_id)
        .subquery("marks")
    )
    query = (
        sa.select(
            key,
            cases.c.created_at,
            cases.c.first_response_s,
            cases.c.waited_s,
            marks.c.handoff,
            marks.c.closed,
        )
        .select_from(cases.outerjoin(marks, marks.c.conv == cases.c.conversation_id))
        .where(scope)
    )
    found = _raw_rows(db, query)
    if not found:
        return {}
    cols = list(zip(*found, strict=True))
    keys = np.asarray([str(k) for k in cols[0]])
    created, first, waited, handoff, closed = (np.asarray(c, dtype=float) for c in cols[1:])
    start = np.where(np.isnan(handoff), created, handoff)
    hours = business_hours(db.zone)
    measures = {
        "first": first,
        "first_bh": hours.between(start, start + first),
        "reply": np.where(first >= waited, first - waited, np.nan),
        "resolution": np.where(closed >= handoff, closed - handoff, np.nan),
        "resolution_bh": np.where(closed >= handoff, hours.between(handoff, closed), np.nan),
    }
    out: dict[Any, dict[str, np.ndarray]] = {}
    names, index = np.unique(keys, return_inverse=True)
    for i, name in enumerate(names):
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
