"""The reports page's breakdowns on the SQL store: trend, loss, KPIs and the cases behind them.

Every number here is a count of rows of the `cases` table under the page's filters (plus,
for a KPI, one of the `METRICS` conditions), and `case_list` lists exactly those rows, so a
number and its drill-down always agree. Filters combine (AND); `from` and `to` are
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
  fixed-value coupons, from events) and reship cost (the SKU's unit cost per reshipped case),
  all converted to `REPORT_CURRENCY` with the shop's exchange rates.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
import yaml
from sqlalchemy.dialects import postgresql

from handoff.reports.db import ReportsDB, cases, events, week_of, weekly_shipped
from shop.catalog import BY_SKU
from shop.policy import load_policies

FILTERS: tuple[str, ...] = ("from", "to", "sku", "country", "issue_type", "supplier")
FILTERS += ("warehouse", "carrier", "channel", "team", "agent")
TREND_BY = ("sku", "country", "issue_type", "supplier")
LOSS_BY = ("issue_type", "sku", "supplier", "warehouse", "carrier", "country")
KPI_BY = ("all", "team", "agent")
SHIPPED_DIMS = ("sku", "country", "supplier", "warehouse")
REFUND_REMEDIES = frozenset({"refund_without_return", "partial_refund", "return_refund"})
REOPEN_S = 7 * 86400.0
TOP = 8
MAX_LIMIT = 200
Filters = Mapping[str, str | None]


def report_currency() -> str:
    return os.environ.get("REPORT_CURRENCY", "EUR").strip().upper() or "EUR"


def case_where(filters: Filters) -> list[Any]:
    """The WHERE terms of `filters` on the cases table (empty values ignored)."""
    where: list[Any] = []
    for name, value in filters.items():
        if not value:
            continue
        if name == "from":
            where.append(cases.c.day >= value)
        elif name == "to":
            where.append(cases.c.day <= value)
        elif name in FILTERS:
            where.append(cases.c[name] == value)
        else:
            raise ValueError(f"unknown filter {name!r}")
    return where


# --- trend -------------------------------------------------------------------------------


def _mondays(first: str, last: str) -> list[str]:
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    out = []
    while day <= end:
        out.append(day.isoformat())
        day += dt.timedelta(days=7)
    return out


def trend(db: ReportsDB, filters: Filters, by: str, top: int = TOP) -> dict[str, Any]:
    """Weekly cases of the `top` keys of `by` (most cases first); the rest as "other"."""
    col = cases.c[by]
    query = sa.select(cases.c.week, col, sa.func.count()).where(*case_where(filters))
    with db.engine.connect() as conn:
        found = conn.execute(query.group_by(cases.c.week, col)).all()
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


# --- loss --------------------------------------------------------------------------------


class Money:
    """Amounts in one report currency, from any currency the shop sells in."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.fx = load_policies().fx_per_usd

    def convert(self, amount: float, currency: str | None) -> float:
        source = (currency or self.currency).upper()
        if source == self.currency or source not in self.fx or self.currency not in self.fx:
            return amount
        return amount / self.fx[source] * self.fx[self.currency]

    def from_usd(self, usd: float) -> float:
        return usd * self.fx.get(self.currency, 1.0)


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compensation(db: ReportsDB, filters: Filters, by: str, money: Money) -> dict[Any, float]:
    """Accepted remedies that are no refund and fixed-value coupons, per `by` key of the
    case they belong to (the event's case id, else its conversation's first case in scope)."""
    with db.engine.connect() as conn:
        found = conn.execute(
            sa.select(events.c.kind, events.c.conversation_id, events.c.data).where(
                events.c.kind.in_(("remedy_accepted", "coupon_issued"))
            )
        ).all()
        paid: list[tuple[str | None, str | None, float]] = []
        for kind, conv, raw in found:
            data = json.loads(raw)
            amount = _num(data.get("amount") if kind == "remedy_accepted" else data.get("value"))
            if not amount or (kind == "remedy_accepted" and data.get("remedy") in REFUND_REMEDIES):
                continue
            if kind == "coupon_issued" and (
                data.get("kind") == "percent" or not data.get("currency")
            ):
                continue
            paid.append((data.get("case_id"), conv, money.convert(amount, data.get("currency"))))
        if not paid:
            return {}
        ids = sorted({c for c, _, _ in paid if c})
        convs = sorted({v for _, v, _ in paid if v})
        col = cases.c[by]
        rows = []
        for chunk_ids, chunk_convs in _chunks(ids, convs):
            rows += conn.execute(
                sa.select(cases.c.case_id, cases.c.conversation_id, col)
                .where(*case_where(filters))
                .where(
                    sa.or_(cases.c.case_id.in_(chunk_ids), cases.c.conversation_id.in_(chunk_convs))
                )
                .order_by(cases.c.created_at, cases.c.case_id)
            ).all()
    key_of_case = {case_id: key for case_id, _, key in rows}
    key_of_conv: dict[str, Any] = {}
    for _, conv, key in rows:
        key_of_conv.setdefault(conv, key)
    out: dict[Any, float] = defaultdict(float)
    for case_id, conv, amount in paid:
        if case_id in key_of_case:
            out[key_of_case[case_id]] += amount
        elif case_id is None and conv in key_of_conv:
            out[key_of_conv[conv]] += amount
    return out


def _chunks(a: list[str], b: list[str], size: int = 500) -> Iterable[tuple[list[str], list[str]]]:
    for start in range(0, max(len(a), len(b)), size):
        yield a[start : start + size], b[start : start + size]


def loss(db: ReportsDB, filters: Filters, by: str) -> dict[str, Any]:
    """Refunds, compensation and reship cost per `by` key, most loss first."""
    money = Money(report_currency())
    col = cases.c[by]
    reship = sa.func.sum(sa.case((cases.c.resolution == "reship", 1), else_=0))
    query = sa.select(
        col,
        cases.c.sku,
        cases.c.currency,
        sa.func.count(),
        sa.func.sum(cases.c.refund_amount),
        reship,
    ).where(*case_where(filters))
    query = query.group_by(col, cases.c.sku, cases.c.currency)
    rows: dict[Any, dict[str, Any]] = {}

    def blank(key: Any) -> dict[str, Any]:
        return {"key": key, "cases": 0, "refund": 0.0, "compensation": 0.0, "reship": 0.0}

    with db.engine.connect() as conn:
        for key, sku, currency, n, refunds, reships in conn.execute(query):
            row = rows.setdefault(key, blank(key))
            row["cases"] += int(n)
            row["refund"] += money.convert(float(refunds or 0.0), currency)
            product = BY_SKU.get(sku or "")
            if reships and product is not None:
                row["reship"] += int(reships) * money.from_usd(product.unit_cost_usd)
    for key, amount in _compensation(db, filters, by, money).items():
        rows.setdefault(key, blank(key))["compensation"] += amount
    per_key = shipped(db, filters, by) if by in SHIPPED_DIMS else {}
    scope = (
        sum(shipped(db, filters).values()) if by != "carrier" and not filters.get("carrier") else 0
    )
    everything = sum(r["refund"] + r["compensation"] + r["reship"] for r in rows.values())

    def finish(row: dict[str, Any], orders: int | None) -> dict[str, Any]:
        for f in ("refund", "compensation", "reship"):
            row[f] = round(row[f], 2)
        row["total"] = round(row["refund"] + row["compensation"] + row["reship"], 2)
        row["orders_shipped"] = orders
        row["complaint_rate"] = _rate(row["cases"], orders)
        row["share_of_loss"] = _rate(row["total"], everything)
        return row

    out = []
    for key, row in rows.items():
        if by in SHIPPED_DIMS:
            orders: int | None = per_key.get(key) if key is not None else None
        else:
            orders = scope or None if by == "issue_type" else None
        out.append(finish(row, orders))
    out.sort(key=lambda r: (-r["total"], -r["cases"], r["key"] is None, str(r["key"])))
    total = blank(None)
    for r in rows.values():
        for f in ("cases", "refund", "compensation", "reship"):
            total[f] += r[f]
    total = finish(total, scope or None)
    del total["key"]
    return {"by": by, "currency": money.currency, "rows": out, "total": total}


# --- KPIs --------------------------------------------------------------------------------


def _json_field(db: ReportsDB, name: str) -> Any:
    if db.dialect == "postgresql":
        return sa.cast(events.c.data, postgresql.JSONB)[name].astext
    return sa.func.json_extract(events.c.data, f"$.{name}")


def _ratings(db: ReportsDB) -> Any:
    """Each conversation's lowest CSAT answer."""
    rating = sa.cast(_json_field(db, "rating"), sa.Float)
    return (
        sa.select(events.c.conversation_id.label("conv"), sa.func.min(rating).label("rating"))
        .where(events.c.kind == "csat_answered")
        .group_by(events.c.conversation_id)
        .subquery("ratings")
    )


def _metric_terms(db: ReportsDB) -> dict[str, Any]:
    """Each drill-down metric as a condition on a case row (the same in counts and lists)."""
    person = cases.c.agent.is_not(None)
    conv = cases.c.conversation_id
    closes = (
        sa.select(events.c.conversation_id)
        .where(events.c.kind == "closed")
        .group_by(events.c.conversation_id)
        .having(sa.func.count() > 1)
    )
    agent = _json_field(db, "agent")
    agents = (
        sa.select(events.c.conversation_id)
        .where(events.c.kind.in_(("claimed", "first_human_reply", "closed")), agent.is_not(None))
        .group_by(events.c.conversation_id)
        .having(sa.func.count(sa.distinct(agent)) > 1)
    )
    back = sa.select(events.c.conversation_id).where(events.c.kind == "handed_back")
    later = cases.alias("later")
    reopened = sa.exists(
        sa.select(sa.literal(1))
        .select_from(later)
        .where(
            later.c.order_id == cases.c.order_id,
            later.c.created_at > cases.c.created_at,
            later.c.created_at <= cases.c.created_at + REOPEN_S,
        )
    )
    ratings = _ratings(db)
    low = sa.select(ratings.c.conv).where(ratings.c.rating <= 2)
    return {
        "handed_off": person,
        "bot_resolved": cases.c.resolved_by == "bot",
        "fcr_miss": sa.and_(
            person,
            sa.or_(conv.in_(closes), conv.in_(agents), conv.in_(back), reopened),
        ),
        "sla_miss": sa.func.lower(cases.c.sla_breached).in_(("true", "1")),
        "csat_low": conv.in_(low),
    }


METRICS = ("handed_off", "bot_resolved", "fcr_miss", "sla_miss", "csat_low")


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


# --- the cases behind a number -----------------------------------------------------------

LIST_COLUMNS = (
    "case_id", "created_at", "conversation_id", "order_id", "country", "sku", "issue_type",
    "resolution", "refund_amount", "currency", "channel", "supplier", "warehouse", "carrier",
    "resolved_by", "team", "agent", "priority", "first_response_s", "sla_breached",
)  # fmt: skip


def encode_cursor(created_at: float, case_id: str) -> str:
    raw = json.dumps([created_at, case_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[float, str]:
    """The (created_at, case_id) a cursor points after; ValueError when it is no cursor."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        at, case_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ValueError("not a cursor") from None
    if not isinstance(at, (int, float)) or isinstance(at, bool) or not isinstance(case_id, str):
        raise ValueError("not a cursor")
    return float(at), case_id


def case_list(
    db: ReportsDB, filters: Filters, metric: str | None, limit: int, after: str | None
) -> dict[str, Any]:
    """The cases behind a number, oldest first (created_at, then case id), `limit` at a time;
    `next` is the cursor of the following page (None on the last)."""
    where = case_where(filters)
    if metric:
        where.append(_metric_terms(db)[metric])
    page = list(where)
    if after:
        at, case_id = decode_cursor(after)
        page.append(
            sa.or_(
                cases.c.created_at > at,
                sa.and_(cases.c.created_at == at, cases.c.case_id > case_id),
            )
        )
    with db.engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(cases).where(*where))
        n = int(total.scalar_one())
        found = conn.execute(
            sa.select(*[cases.c[c] for c in LIST_COLUMNS])
            .where(*page)
            .order_by(cases.c.created_at, cases.c.case_id)
            .limit(limit + 1)
        ).mappings()
        rows = [dict(r) for r in found]
    more = len(rows) > limit
    rows = rows[:limit]
    for r in rows:
        if r["sla_breached"] is not None:
            r["sla_breached"] = str(r["sla_breached"]).lower() in ("true", "1")
    last = rows[-1] if more and rows else None
    cursor = encode_cursor(last["created_at"], last["case_id"]) if last else None
    return {"total": n, "cases": rows, "rows": rows, "next": cursor}
