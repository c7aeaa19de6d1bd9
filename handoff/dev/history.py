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
from datetime import datetime, timezone

import sqlalchemy as sa

from handoff.reports import keyword_store
from handoff.reports.db import ReportsDB, cases
from shop.history import generate_history

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
        rows = [db.case_row(r, "import") for r in history.cases]
        loaded = db.upsert_cases(rows, conn)
    # what the shoppers wrote, for the complaint keywords (idempotent; its own transaction)
    keyword_store.store_messages(db, history.messages)
    return HistoryLoad(loaded, 0)
