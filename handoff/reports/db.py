"""SQL storage of the review loop: events, cases and daily rollups (SQLAlchemy Core 1.4).

One code path for both backends: an embedded SQLite file (`var/reports.sqlite3`) by default,
PostgreSQL when `DATABASE_URL` is set. Numbered migrations run at start-up and are recorded
in `schema_version`, so running them twice changes nothing. Inserts are idempotent (an event
id or a case id is stored once) and rollups only move when a row is new, so replaying the
Redis streams changes nothing. Every call here is blocking: the gateway runs them in a thread
executor (`ReportsDB.run`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from handoff.cases.events import Event
from handoff.cases.schema import CASE_FIELDS

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE = ROOT / "var" / "reports.sqlite3"
NUMERIC = {"created_at", "refund_amount", "waited_s", "first_response_s"}

metadata = sa.MetaData()
schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", sa.Float, nullable=False),
)
events = sa.Table(
    "events",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("conversation_id", sa.String(120)),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Index("ix_events_kind_at", "kind", "at"),
    sa.Index("ix_events_conversation", "conversation_id"),
)
cases = sa.Table(
    "cases",
    metadata,
    *[
        sa.Column(name, sa.Float if name in NUMERIC else sa.Text, primary_key=name == "case_id")
        for name in CASE_FIELDS
    ],
    sa.Column("source", sa.String(10), nullable=False),  # live | import
    sa.Column("day", sa.String(10), nullable=False),  # shop-local date of created_at
    sa.Column("week", sa.String(10), nullable=False),  # shop-local Monday of that week
    sa.Index("ix_cases_week", "week", "issue_type", "sku", "country"),
    sa.Index("ix_cases_created", "created_at"),
)
daily_rollups = sa.Table(
    "daily_rollups",
    metadata,
    sa.Column("date", sa.String(10), primary_key=True),
    sa.Column("dimension", sa.String(40), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("metric", sa.String(40), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
)
# Red-light alert lifecycle (migration 3, handoff/reports/lifecycle.py): one row per alert
# ever seen or acted on; `alert_id` is derived from the cell and its shop-local week.
alert_states = sa.Table(
    "alert_states",
    metadata,
    sa.Column("alert_id", sa.String(40), primary_key=True),
    sa.Column("week", sa.String(10), nullable=False),
    sa.Column("sku", sa.Text),
    sa.Column("country", sa.Text),
    sa.Column("supplier", sa.Text),
    sa.Column("issue_type", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # open | acknowledged | resolved
    sa.Column("owner", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("alert", sa.Text, nullable=False),  # JSON of the alert when first seen
    sa.Column("first_seen", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("updated_by", sa.Text),
    sa.Index("ix_alert_states_week", "week", "state"),
)


def _migration_1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[events, cases, daily_rollups])


def _migration_3(conn: Connection) -> None:
    metadata.create_all(conn, tables=[alert_states])


# Numbered explicitly (never renumber a landed step): a step is applied once, in number order.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _migration_1, 3: _migration_3}


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE}"


def shop_zone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("SHOP_TIMEZONE", "UTC") or "UTC")


def local_day(at: float, zone: ZoneInfo) -> dt.date:
    return dt.datetime.fromtimestamp(at, zone).date()


def week_of(day: dt.date) -> str:
    return (day - dt.timedelta(days=day.weekday())).isoformat()


class ReportsDB:
    """The engine plus the handful of writes and reads the review loop needs."""

    def __init__(self, url: str | None = None, zone: ZoneInfo | None = None) -> None:
        url = url or database_url()
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        self.engine: Engine = sa.create_engine(url, future=True, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.zone = zone or shop_zone()
        self.migrate()

    @property
    def dialect(self) -> str:
        return str(self.engine.dialect.name)

    def migrate(self) -> int:
        """Applies the migrations not yet recorded; returns the schema version."""
        with self.engine.begin() as conn:
            metadata.create_all(conn, tables=[schema_version])
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":  # two gateways starting at once: one migrates
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(712012)"))
            done = {row[0] for row in conn.execute(sa.select(schema_version.c.version))}
            for number, step in sorted(MIGRATIONS.items()):
                if number not in done:
                    step(conn)
                    conn.execute(
                        schema_version.insert().values(
                            version=number, applied_at=dt.datetime.now().timestamp()
                        )
                    )
        return max(MIGRATIONS)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Runs a blocking call off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(None, partial(fn, *args))

    def _insert(self, table: sa.Table) -> Any:
        return (postgresql if self.dialect == "postgresql" else sqlite).insert(table)

    def _bump(self, conn: Connection, rows: Iterable[tuple[str, str, str, str, float]]) -> None:
        totals: dict[tuple[str, str, str, str], float] = {}
        for date, dimension, key, metric, value in rows:
            totals[(date, dimension, key, metric)] = (
                totals.get((date, dimension, key, metric), 0.0) + value
            )
        if not totals:
            return
        stmt = self._insert(daily_rollups)
        stmt = stmt.on_conflict_do_update(
            index_elements=["date", "dimension", "key", "metric"],
            set_={"value": daily_rollups.c.value + stmt.excluded.value},
        )
        conn.execute(
            stmt,
            [
                {"date": d, "dimension": dim, "key": k, "metric": m, "value": v}
                for (d, dim, k, m), v in sorted(totals.items())
            ],
        )

    def add_events(self, batch: Iterable[Event]) -> int:
        """Stores events not seen before (by event id); returns how many were new."""
        new = 0
        with self.engine.begin() as conn:
            bumps = []
            stmt = self._insert(events).on_conflict_do_nothing(index_elements=["event_id"])
            for ev in batch:
                result = conn.execute(
                    stmt,
                    {
                        "event_id": ev.event_id,
                        "kind": ev.kind,
                        "conversation_id": ev.conversation_id,
                        "at": ev.at,
                        "data": json.dumps(ev.data, ensure_ascii=False),
                    },
                )
                if result.rowcount == 1:
                    new += 1
                    bumps.append(
                        (local_day(ev.at, self.zone).isoformat(), "kind", ev.kind, "events", 1.0)
                    )
            self._bump(conn, bumps)
        return new

    def case_row(self, record: Mapping[str, Any], source: str) -> dict[str, Any]:
        """A case hash (strings) or an imported row as a `cases` row."""
        row: dict[str, Any] = {}
        for name in CASE_FIELDS:
            value = record.get(name)
            if value in (None, ""):
                row[name] = None
            elif name in NUMERIC:
                row[name] = float(value)
            elif isinstance(value, (list, tuple)):
                row[name] = json.dumps(list(value), ensure_ascii=False)
            else:
                row[name] = str(value)
        if row["created_at"] is None or row["case_id"] is None:
            raise ValueError("a case row needs case_id and created_at")
        day = local_day(row["created_at"], self.zone)
        row.update(source=source, day=day.isoformat(), week=week_of(day))
        return row

    def upsert_cases(self, rows: Iterable[dict[str, Any]], conn: Connection | None = None) -> int:
        """Inserts or refreshes case rows; rollups count a case once. Returns new cases."""
        if conn is None:
            with self.engine.begin() as own:
                return self.upsert_cases(rows, own)
        rows = list(rows)
        if not rows:
            return 0
        ids = [r["case_id"] for r in rows]
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            known |= {
                r[0]
                for r in conn.execute(sa.select(cases.c.case_id).where(cases.c.case_id.in_(chunk)))
            }
        stmt = self._insert(cases)
        stmt = stmt.on_conflict_do_update(
            index_elements=["case_id"],
            set_={c.name: stmt.excluded[c.name] for c in cases.columns if c.name != "case_id"},
        )
        conn.execute(stmt, rows)
        new = set(ids) - known
        bumps = []
        for r in rows:
            if r["case_id"] in known:
                continue
            known.add(r["case_id"])
            for dim in ("issue_type", "sku", "country"):
                key = r[dim] or "-"
                bumps.append((r["day"], dim, key, "cases", 1.0))
                if r["refund_amount"]:
                    bumps.append((r["day"], dim, key, "refund", float(r["refund_amount"])))
        self._bump(conn, bumps)
        return len(new)

    def count(self, table: sa.Table) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def rollups(self, dimension: str, metric: str) -> dict[tuple[str, str], float]:
        with self.engine.connect() as conn:
            query = sa.select(daily_rollups.c.date, daily_rollups.c.key, daily_rollups.c.value)
            query = query.where(
                daily_rollups.c.dimension == dimension, daily_rollups.c.metric == metric
            )
            return {(d, k): float(v) for d, k, v in conn.execute(query)}


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
