"""The demo's past: twelve weeks of generated cases (`shop.history`) in the reports database.

`make run` calls `load_demo_history()` before the gateway starts, so `/console/reports` has
trends to show and the red light has the planted problems to find (the damaged lamps in
France, the dress that runs small) on the very first start. It loads only into a database
that holds no generated history yet: a second start loads nothing, and the check and the
insert share one write transaction, so two launchers starting at once load it once.

Generated case ids are `H-000001`…; the gateway numbers live cases `C-000001`… (see
`handoff.cases.schema.case_id_for`), so the two never collide. The history ends now (no case
is dated in the future) and the rows are stored with source `import`, like a lead's import.
Set `DEMO_HISTORY=0` to start without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from handoff.reports import keyword_store
from handoff.reports.db import ReportsDB, cases
from shop.history import carrier_for, generate_history

PREFIX = "H-"  # shop.history's case ids


@dataclass(frozen=True)
class HistoryLoad:
    loaded: int  # cases written by this call
    present: int  # generated cases the database held before it

    def describe(self, where: str) -> str:
        if self.loaded:
            return f"reports: loaded {self.loaded} history cases (12 weeks) into {where}"
        return f"reports: history already loaded ({self.present} cases in {where}), nothing added"


def history_count(conn: sa.engine.Connection) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(cases)
        .where(cases.c.source == "import", cases.c.case_id.like(f"{PREFIX}%"))
    )
    return int(conn.execute(query).scalar_one())


def calendar_weeks(rows: list[dict[str, Any]], zone: ZoneInfo) -> list[dict[str, Any]]:
    """The generated weeks end at the start moment, not on a Monday; `weekly_shipped` keeps
    calendar weeks. Each row's orders go to the calendar weeks its seven days fall in, by
    days (whole orders; the last part takes the remainder)."""
    out: list[dict[str, Any]] = []
    for row in rows:
        first = datetime.fromisoformat(str(row["week_start"])).astimezone(zone).date()
        parts: dict[date, int] = {}
        for d in range(7):
            day = first + timedelta(days=d)
            monday = day - timedelta(days=day.weekday())
            parts[monday] = parts.get(monday, 0) + 1
        left = int(row["orders"])
        for i, (monday, days) in enumerate(sorted(parts.items())):
            share = left if i == len(parts) - 1 else round(int(row["orders"]) * days / 7)
            left -= share
            noon = datetime.combine(monday, time(12), zone)
            out.append({**row, "week_start": noon.timestamp(), "orders": share})
    return out


def load_demo_history(db: ReportsDB, now: datetime | None = None, seed: int = 7) -> HistoryLoad:
    """Writes the generated history (ending at `now`) unless the database already has it."""
    end = now or datetime.now(timezone.utc)
    with db.writer.begin() as conn:  # BEGIN IMMEDIATE on SQLite: one loader at a time
        if db.dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(712014)"))
        present = history_count(conn)
        if present:
            return HistoryLoad(0, present)
        history = generate_history(end, seed=seed)
        rows = [
            db.case_row({**r, "carrier": carrier_for(r["order_id"])}, "import")
            for r in history.cases
        ]
        loaded = db.upsert_cases(rows, conn)
    # the orders shipped behind complaint rates and the red light, and what the shoppers
    # wrote, for the complaint keywords (both idempotent; each its own transaction)
    db.put_shipped(calendar_weeks(history.shipped, db.zone))
    keyword_store.store_messages(db, history.messages)
    return HistoryLoad(loaded, 0)
