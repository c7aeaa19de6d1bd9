"""Per-case facts of the KPI table and its drill-downs (migration 7), kept on the `cases` row
when the case or an event of its conversation is written, so a report reads columns instead
of scanning events on every request. Definitions are those of `breakdowns` (its docstring):

- handoff_at, closed_at: the conversation's first `escalated`/`queued` and first `closed`;
- conv_cases: how many cases share the conversation (1: the case is its conversation alone,
  so distinct conversations are counted only among the shared ones);
- reopened: a later case for the same order within 7 days; fcr_miss: handed off and (closed
  more than once, more than one agent, handed back, or reopened);
- csat: the conversation's lowest answer; polled: CSAT asked or answered;
- first_s, first_bh_s, reply_s, resolution_s, resolution_bh_s: the handed-off case's times
  (NULL where the old per-request computation had none), business hours as configured when
  the fact was written (`business_hours.py`);
- compensation (migration 10): in USD, accepted remedies that are no refund and fixed-value
  coupons of the conversation, each on the case its event names, else on the conversation's
  first case (an amount without a currency is in `REPORT_CURRENCY` as the fact is written).

`refresh` recomputes the facts of the cases a condition selects from the events and cases
stored (the caller's transaction); `ReportsDB` calls it for the cases a write touches: the
cases written, the cases of the same orders and conversations, and the cases of the
conversations of new events. The tables come from the caller (db.py owns the schema).
"""

from __future__ import annotations

import json
import math
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from handoff.reports import compensation
from handoff.reports.business_hours import business_hours

REOPEN_S = 7 * 86400.0
FLOATS: tuple[str, ...] = ("handoff_at", "closed_at", "csat", "first_s", "first_bh_s", "reply_s")
FLOATS += ("resolution_s", "resolution_bh_s")
INTS = ("conv_cases", "reopened", "fcr_miss", "polled")
COLUMNS: tuple[str, ...] = (
    "handoff_at",
    "closed_at",
    "conv_cases",
    "reopened",
    "fcr_miss",
    "csat",
    "polled",
)
COLUMNS += ("first_s", "first_bh_s", "reply_s", "resolution_s", "resolution_bh_s")
COLUMNS += ("compensation",)
FLOATS += ("compensation",)
TIMES = ("first_s", "first_bh_s", "reply_s", "resolution_s", "resolution_bh_s")
# the drill-down metrics of facts, the shared conversations the KPI table counts apart, and
# each time by value (a percentile's bucket is read in value order, its scope in the index)
INDEXES = {
    "ix_cases_fcr_miss": "fcr_miss, created_at",
    "ix_cases_csat": "csat, created_at",
    "ix_cases_shared": "conv_cases, day, team, agent, conversation_id",
    # an issue type's cases in page order, with every metric's column (count and page)
    "ix_cases_issue": "issue_type, created_at, case_id, agent, resolved_by, sla_breached,"
    " fcr_miss, csat",
    **{f"ix_cases_{n}": f"{n}, day, team, agent" for n in TIMES},
}
CHUNK = 500
HANDOFF_KINDS = ("escalated", "queued")
AGENT_KINDS = ("claimed", "first_human_reply", "closed")


def column_types() -> dict[str, Any]:
    return {n: (sa.Float if n in FLOATS else sa.Integer) for n in COLUMNS}


def add_columns(conn: Connection) -> None:
    """Migration 7's schema step: the fact columns and their indexes where missing."""
    have = {c["name"] for c in sa.inspect(conn).get_columns("cases")}
    for name in COLUMNS:
        if name not in have:
            kind = "DOUBLE PRECISION" if name in FLOATS else "INTEGER"
            conn.execute(sa.text(f"ALTER TABLE cases ADD COLUMN {name} {kind}"))
    create_indexes(conn)


def create_indexes(conn: Connection) -> None:
    for name, cols in INDEXES.items():
        conn.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {name} ON cases ({cols})"))


def _json_field(dialect: str, events: sa.Table, name: str) -> Any:
    if dialect == "postgresql":
        return sa.cast(events.c.data, postgresql.JSONB)[name].astext
    return sa.func.json_extract(events.c.data, f"$.{name}")


def _facts_query(conn: Connection, cases: sa.Table, events: sa.Table, where: Any) -> Any:
    dialect = conn.dialect.name
    ev = events.c
    agent = _json_field(dialect, events, "agent")
    rating = sa.cast(_json_field(dialect, events, "rating"), sa.Float)

    def flag(cond: Any) -> Any:
        return sa.func.max(sa.case((cond, 1), else_=0))

    marks = sa.select(
        ev.conversation_id.label("conv"),
        sa.func.min(sa.case((ev.kind.in_(HANDOFF_KINDS), ev.at))).label("handoff"),
        sa.func.min(sa.case((ev.kind == "closed", ev.at))).label("closed"),
        sa.func.sum(sa.case((ev.kind == "closed", 1), else_=0)).label("closes"),
        sa.func.count(sa.distinct(sa.case((ev.kind.in_(AGENT_KINDS), agent)))).label("agents"),
        flag(ev.kind == "handed_back").label("back"),
        sa.func.min(sa.case((ev.kind == "csat_answered", rating))).label("rating"),
        flag(ev.kind == "csat_asked").label("asked"),
    ).where(ev.conversation_id.is_not(None))
    if where is not None:
        marks = marks.where(ev.conversation_id.in_(sa.select(cases.c.conversation_id).where(where)))
    marks_q = marks.group_by(ev.conversation_id).subquery("marks")
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
    same = cases.alias("same")
    sharing = (
        sa.select(sa.func.count())
        .select_from(same)
        .where(same.c.conversation_id == cases.c.conversation_id)
        .scalar_subquery()
    )
    query = sa.select(
        cases.c.case_id,
        cases.c.created_at,
        cases.c.agent,
        cases.c.first_response_s,
        cases.c.waited_s,
        marks_q.c.handoff,
        marks_q.c.closed,
        marks_q.c.closes,
        marks_q.c.agents,
        marks_q.c.back,
        marks_q.c.rating,
        marks_q.c.asked,
        sa.case((reopened, 1), else_=0),
        sharing,
        cases.c.conversation_id,
    ).select_from(cases.outerjoin(marks_q, marks_q.c.conv == cases.c.conversation_id))
    return query.where(where) if where is not None else query


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def compute(rows: list[Any], zone: ZoneInfo, paid: Any = None) -> list[list[Any]]:
    """The facts of fetched rows, as [case_id, *COLUMNS] lists (NaN stored as NULL);
    `paid`: compensation per case id (`compensation.per_case`)."""
    if not rows:
        return []
    cols = list(zip(*rows, strict=True))
    created, first, waited, handoff, closed = (
        np.asarray(cols[i], dtype=float) for i in (1, 3, 4, 5, 6)
    )
    start = np.where(np.isnan(handoff), created, handoff)
    hours = business_hours(zone)
    with np.errstate(invalid="ignore"):
        first_bh = hours.between(start, start + first)
        reply = np.where(first >= waited, first - waited, np.nan)
        resolution = np.where(closed >= handoff, closed - handoff, np.nan)
        resolution_bh = np.where(closed >= handoff, hours.between(handoff, closed), np.nan)
    out = []
    for i, r in enumerate(rows):
        case_id, _, agent, _, _, h_at, c_at, closes, agents, back, rating, asked, reopened = r[:13]
        person = agent is not None
        conv_miss = (closes or 0) > 1 or (agents or 0) > 1 or bool(back)
        times = (first[i], first_bh[i], reply[i], resolution[i], resolution_bh[i])
        out.append(
            [
                case_id,
                h_at,
                c_at,
                int(r[13]),
                int(reopened),
                int(person and (conv_miss or bool(reopened))),
                None if rating is None else float(rating),
                int(bool(asked) or rating is not None),
                *[(_number(t) if person else None) for t in times],
                round(paid[case_id], 6) if paid and case_id in paid else None,
            ]
        )
    return out


def _update_sql(dialect: str) -> str:
    if dialect == "postgresql":
        sets = ", ".join(
            f"{n} = CAST(r ->> {i + 1} AS {'float8' if n in FLOATS else 'integer'})"
            for i, n in enumerate(COLUMNS)
        )
        return (
            f"UPDATE cases SET {sets} FROM json_array_elements(CAST(:rows AS json)) AS r"
            " WHERE cases.case_id = r ->> 0"
        )
    sets = ", ".join(f"{n} = v.value ->> {i + 1}" for i, n in enumerate(COLUMNS))
    return f"UPDATE cases SET {sets} FROM json_each(:rows) AS v WHERE cases.case_id = v.value ->> 0"


def refresh(
    conn: Connection, cases: sa.Table, events: sa.Table, zone: ZoneInfo, where: Any = None
) -> int:
    """Recomputes the facts of the cases `where` selects (every case when None)."""
    rows = list(conn.execute(_facts_query(conn, cases, events, where)).all())
    paid = compensation.per_case(conn, cases, events, [(r[0], r[14]) for r in rows])
    sql = sa.text(_update_sql(conn.dialect.name))
    for start in range(0, len(rows), 20_000):
        facts = compute(rows[start : start + 20_000], zone, paid)
        conn.execute(sql, {"rows": json.dumps(facts)})
    return len(rows)


def rebuild(conn: Connection, cases: sa.Table, events: sa.Table, zone: ZoneInfo) -> int:
    """The facts of every case (a backfill, or after a bulk load), a case id range at a time."""
    ids = list(conn.execute(sa.select(cases.c.case_id).order_by(cases.c.case_id)).scalars())
    done = 0
    for start in range(0, len(ids), 50_000):
        low, high = ids[start], ids[min(len(ids), start + 50_000) - 1]
        done += refresh(conn, cases, events, zone, cases.c.case_id.between(low, high))
    return done


def refresh_cases(
    conn: Connection, cases: sa.Table, events: sa.Table, zone: ZoneInfo, ids: set[str]
) -> None:
    """`refresh` of the cases with these ids, a chunk at a time."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        refresh(conn, cases, events, zone, cases.c.case_id.in_(chunk))


def touched(
    conn: Connection,
    cases: sa.Table,
    orders: set[Any] | None = None,
    conversations: set[Any] | None = None,
) -> set[str]:
    """Ids of the cases of these orders or conversations."""
    found: set[str] = set()
    for col, values in ((cases.c.order_id, orders), (cases.c.conversation_id, conversations)):
        ordered = sorted(v for v in values or () if v)
        for start in range(0, len(ordered), CHUNK):
            query = sa.select(cases.c.case_id).where(col.in_(ordered[start : start + CHUNK]))
            found.update(conn.execute(query).scalars())
    return found
