"""KPI rollups per shop-local day, team and agent (migration 7), moved by every write that
changes a case's row or facts, so the KPI table under date/team/agent filters reads a few
thousand rows instead of every case.

- `kpi_cells`: per (day, team, agent) the sums the KPI table shows (cases, handed off, FCR
  misses, CSAT...; "" stands for no team or agent);
- `kpi_times`: per (measure, bucket, day, team, agent) how many handed-off cases have that
  time in the bucket (`EDGES`, about 20% wide): a percentile's rank is found in the bucket
  counts, then the exact value is read from the cases of that one bucket (`value_at`).

Writes: `collect` the rows of the cases a write touches before it (sign -1) and after it
(sign +1), then `apply` the net change, in the write's transaction; a replay nets to nothing.
The bucket edges are part of the stored data: changing them takes a migration that rebuilds.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from handoff.reports.case_facts import CHUNK, TIMES

SUMS: tuple[str, ...] = (
    "cases",
    "alone",
    "handed_off",
    "bot_resolved",
    "fcr_miss",
    "sla_miss",
    "csat_low",
)
SUMS += ("sla_known", "polled", "answered")
KEY = ("day", "team", "agent")
# [0, 5e-324) holds only zero (business hours outside opening hours): no read needed there
EDGES = np.array([-1e300, 0.0, 5e-324, *[1.2**k for k in range(0, 112)], 1e300])
ZERO_BUCKET = 1
EDGE_LIST = [float(e) for e in EDGES]
READ: tuple[str, ...] = (
    "day",
    "team",
    "agent",
    "resolved_by",
    "sla_breached",
    "conversation_id",
    "conv_cases",
)
READ += ("fcr_miss", "csat", "polled", *TIMES)


def bucket_of(value: float) -> int:
    """The bucket b of a time: EDGES[b] <= value < EDGES[b + 1]."""
    return bisect.bisect_right(EDGE_LIST, value) - 1


class Delta:
    """Net changes of the two rollups from rows added (+1) and taken out (-1)."""

    def __init__(self) -> None:
        self.cells: dict[tuple[str, str, str], list[float]] = {}
        self.times: dict[tuple[str, int, str, str, str], int] = {}

    def add(self, r: Any, sign: int) -> None:
        key = (r.day, r.team or "", r.agent or "")
        person = r.agent is not None
        sla = r.sla_breached
        values = (
            1,
            r.conversation_id is None or r.conv_cases == 1,
            person,
            r.resolved_by == "bot",
            r.fcr_miss == 1,
            sla is not None and str(sla).lower() in ("true", "1"),
            r.csat is not None and r.csat <= 2,
            person and sla is not None,
            r.polled == 1,
            r.csat is not None,
        )
        cell = self.cells.setdefault(key, [0.0] * (len(SUMS) + 1))
        for i, v in enumerate(values):
            cell[i] += sign * int(v)
        cell[-1] += sign * (r.csat or 0.0)
        for name in TIMES:
            value = getattr(r, name)
            if value is not None:
                slot = (name, bucket_of(value), *key)
                self.times[slot] = self.times.get(slot, 0) + sign


def collect(conn: Connection, cases: sa.Table, ids: Iterable[str], sign: int, acc: Delta) -> None:
    """Adds (sign 1) or takes out (sign -1) the stored rows of these cases."""
    ordered = sorted(ids)
    cols = [cases.c[n] for n in READ]
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        for r in conn.execute(sa.select(*cols).where(cases.c.case_id.in_(chunk))):
            acc.add(r, sign)


def _insert(conn: Connection, table: sa.Table) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def apply(conn: Connection, cells: sa.Table, times: sa.Table, acc: Delta) -> None:
    rows: list[dict[str, Any]] = []
    for k, v in sorted(acc.cells.items()):
        if any(v):
            row: dict[str, Any] = dict(zip(KEY, k, strict=True))
            row.update({n: int(x) for n, x in zip(SUMS, v, strict=False)}, score=v[-1])
            rows.append(row)
    if rows:
        stmt = _insert(conn, cells)
        names = (*SUMS, "score")
        stmt = stmt.on_conflict_do_update(
            index_elements=list(KEY), set_={n: cells.c[n] + stmt.excluded[n] for n in names}
        )
        conn.execute(stmt, rows)
    slots = [
        dict(zip(("measure", "bucket", *KEY), k, strict=True), n=n)
        for k, n in sorted(acc.times.items())
        if n
    ]
    if slots:
        stmt = _insert(conn, times)
        stmt = stmt.on_conflict_do_update(
            index_elements=["measure", "bucket", *KEY], set_={"n": times.c.n + stmt.excluded.n}
        )
        conn.execute(stmt, slots)


def rebuild(conn: Connection, cases: sa.Table, cells: sa.Table, times: sa.Table) -> None:
    """Recomputes both rollups from the cases table (migration 7, or after a bulk load)."""
    conn.execute(cells.delete())
    conn.execute(times.delete())
    ids = list(conn.execute(sa.select(cases.c.case_id).order_by(cases.c.case_id)).scalars())
    cols = [cases.c[n] for n in READ]
    for start in range(0, len(ids), 50_000):
        low, high = ids[start], ids[min(len(ids), start + 50_000) - 1]
        acc = Delta()
        for r in conn.execute(sa.select(*cols).where(cases.c.case_id.between(low, high))):
            acc.add(r, 1)
        apply(conn, cells, times, acc)
