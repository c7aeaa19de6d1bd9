"""SQL storage of the review loop: events, cases and daily rollups (SQLAlchemy Core 1.4).

Over 300 lines: the schema, its numbered migrations and the writes that keep the rollups
exact belong together (each write and its rollup move share one transaction).

One code path for both backends: an embedded SQLite file (`var/reports.sqlite3`) by default,
PostgreSQL when `DATABASE_URL` is set. Numbered migrations run at start-up and are recorded
in `schema_version`, so running them twice changes nothing. Inserts are idempotent (an event
id or a case id is stored once) and rollups move by exactly what a write changed, so replaying
the Redis streams changes nothing. Writes are set-based (one statement per batch: a JSON
array unpacked by the database, `RETURNING` the ids that were new) inside a write transaction
(`BEGIN IMMEDIATE` on SQLite, an advisory lock around case upserts on PostgreSQL), so two
gateways ingesting at once still count each row once. `weekly_cells` (migration 4) holds
cases and refunds per (week, issue type, SKU, country) for the summary table; migration 8 adds
covering indexes for its grouped form (`summary_groups.py`); `day_cells` (migration 11) holds
the same per day, for the days of a week a date range cuts. Every call here
is blocking: the gateway runs them in a thread executor (`ReportsDB.run`).
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
from handoff.reports import case_facts, compensation, kpi_rollup, loss_cells
from shop.catalog import BY_SKU
from shop.sourcing import SUPPLIERS, warehouse_for

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE = ROOT / "var" / "reports.sqlite3"
NUMERIC = {"created_at", "refund_amount", "waited_s", "first_response_s"}
# columns a case row derives beyond CASE_FIELDS (migration 5): who handled it and the
# product's supply chain, so reports filter and group by them
DERIVED = ("team", "agent", "supplier", "warehouse", "carrier")
NOT_A_PERSON = frozenset({"bot", "import"})  # resolved_by values that are no agent

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
    *[sa.Column(name, sa.Text) for name in DERIVED],
    # the KPI facts of the case (migration 7, handoff/reports/case_facts.py)
    *[sa.Column(name, kind) for name, kind in case_facts.column_types().items()],
    sa.Index("ix_cases_week", "week", "issue_type", "sku", "country"),
    sa.Index("ix_cases_created", "created_at"),
)
# migration 8: the summary's reads of the cases table answered from an index alone: the days
# of a week cut by a date range, and each filter the rollup does not keep (with its days)
SUMMARY_COLUMNS = ("week", "issue_type", "sku", "country", "refund_amount")
OFF_ROLLUP = ("supplier", "warehouse", "carrier", "channel", "team", "agent")


def filter_key(name: str) -> Any:
    """The key the off-rollup indexes keep for a column: `coalesce(col, '')`, the same rows for
    `= value` (never ""), but no index led by the bare column, so a GROUP BY on it (loss,
    trend, KPIs) is not steered into an index scan with a table lookup per row. The bare
    column comes last, so SQLite sees the index as covering."""
    return sa.func.coalesce(cases.c[name], sa.literal_column("''"))


def case_where(
    filters: Mapping[str, str | None],
    allowed: Iterable[str] | None = None,
    covering: bool = False,
) -> list[Any]:
    """The WHERE terms of `filters` on the cases table (empty values ignored): `from`/`to`
    on the shop-local day, any other name on its column. A name outside `allowed` raises
    ValueError; without `allowed`, a name the table has no column for matches nothing.
    `covering` reads the off-rollup filters through their covering indexes' key (the
    summary's choice); without it they stay bare columns, which a GROUP BY needs (see
    `filter_key`)."""
    names = None if allowed is None else frozenset(allowed)
    where: list[Any] = []
    for name, value in filters.items():
        if not value:
            continue
        if names is not None and name not in names:
            raise ValueError(f"unknown filter {name!r}")
        if name == "from":
            where.append(cases.c.day >= value)
        elif name == "to":
            where.append(cases.c.day <= value)
        elif covering and name in OFF_ROLLUP:
            where.append(filter_key(name) == value)
        elif name in cases.c and name not in ("day", "week"):
            where.append(cases.c[name] == value)
        else:  # a dimension this store does not keep: nothing matches
            where.append(sa.false())
    return where


CASE_INDEXES = [
    sa.Index("ix_cases_day_cells", cases.c.day, *[cases.c[n] for n in SUMMARY_COLUMNS]),
    *[
        sa.Index(f"ix_cases_{name}_day", filter_key(name), cases.c.day,
                 *[cases.c[n] for n in SUMMARY_COLUMNS], cases.c[name])
        for name in OFF_ROLLUP
    ],
]  # fmt: skip
# orders shipped per (week, SKU, country), with the SKU's supplier and warehouse (migration 5):
# the exposure behind complaint rates; loaded from the shop's orders or a history import
weekly_shipped = sa.Table(
    "weekly_shipped",
    metadata,
    sa.Column("week", sa.String(10), primary_key=True),
    sa.Column("sku", sa.String(120), primary_key=True),
    sa.Column("country", sa.String(16), primary_key=True),
    sa.Column("supplier", sa.Text),
    sa.Column("warehouse", sa.Text),
    sa.Column("orders", sa.Integer, nullable=False),
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


def _cell_columns(grain: str, *extra: sa.Column[Any]) -> list[sa.Column[Any]]:
    """A summary cell keyed by `grain` (week or day): a missing dimension is stored as ""
    (case rows never hold "")."""
    return [
        sa.Column(grain, sa.String(10), primary_key=True),
        sa.Column("issue_type", sa.String(80), primary_key=True),
        sa.Column("sku", sa.String(120), primary_key=True),
        sa.Column("country", sa.String(16), primary_key=True),
        *extra,
        sa.Column("cases", sa.Integer, nullable=False),
        sa.Column("refunds", sa.Float, nullable=False),
    ]


# the summary's grain
weekly_cells = sa.Table(
    "weekly_cells",
    metadata,
    *_cell_columns("week"),
    # the summary's order, covering: the unfiltered table is read without a sort
    sa.Index(
        "ix_weekly_cells_order", "week", sa.desc("cases"), "issue_type", "sku", "country", "refunds"
    ),
)
# migration 8: covering indexes in the order of the grouped summary's GROUP BYs (by issue type,
# SKU or country and week, or by the whole cell), so SQLite reads them in order, unsorted
CELL_INDEXES = [
    sa.Index("ix_weekly_cells_cell", *[weekly_cells.c[n] for n in
             ("issue_type", "sku", "country", "week", "cases", "refunds")]),
    sa.Index("ix_weekly_cells_issue_week", *[weekly_cells.c[n] for n in
             ("issue_type", "week", "sku", "country", "cases", "refunds")]),
    sa.Index("ix_weekly_cells_sku_week", *[weekly_cells.c[n] for n in
             ("sku", "week", "issue_type", "country", "cases", "refunds")]),
    sa.Index("ix_weekly_cells_country_week", *[weekly_cells.c[n] for n in
             ("country", "week", "issue_type", "sku", "cases", "refunds")]),
]  # fmt: skip
# migration 11: the same cells per day (with the day's shop week), for the days of the weeks
# a date range cuts: the summary never reads the cases table unless a filter needs it
day_cells = sa.Table(
    "day_cells", metadata, *_cell_columns("day", sa.Column("week", sa.String(10), nullable=False))
)
# what the migration 8 indexes make redundant (the same leading columns)
SUPERSEDED = ("ix_cases_day", "ix_weekly_cells_sku", "ix_weekly_cells_country")
# the loss page's grain and its sums per breakdown (migrations 9, 10: loss_cells.py)
loss_cells_table = sa.Table("loss_cells", metadata, *loss_cells.columns())
loss_by_table = sa.Table("loss_by", metadata, *loss_cells.by_columns())
# Shopper messages of cases and the keyword terms found in them (migration 6,
# handoff/reports/keywords.py): a message is stored once per (case, seq); a term once per
# case (the counts are cases that mention it), in the message's language.
case_messages = sa.Table(
    "case_messages",
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("lang", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
)
case_terms = sa.Table(
    "case_terms",
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("lang", sa.String(16), primary_key=True),
    sa.Column("term", sa.String(200), primary_key=True),
    sa.Index("ix_case_terms_term", "lang", "term"),
)
# KPI sums and time buckets per (day, team, agent) (migration 7, handoff/reports/kpi_rollup.py);
# no team or agent is stored as ""
kpi_cells = sa.Table(
    "kpi_cells",
    metadata,
    *[sa.Column(n, sa.String(200), primary_key=True) for n in kpi_rollup.KEY],
    *[sa.Column(n, sa.Integer, nullable=False) for n in kpi_rollup.SUMS],
    sa.Column("score", sa.Float, nullable=False),
)
kpi_times = sa.Table(
    "kpi_times",
    metadata,
    sa.Column("measure", sa.String(40), primary_key=True),
    sa.Column("bucket", sa.Integer, primary_key=True),
    *[sa.Column(n, sa.String(200), primary_key=True) for n in kpi_rollup.KEY],
    sa.Column("n", sa.Integer, nullable=False),
    sa.Index("ix_kpi_times_day", "day", "measure", "bucket", "team", "agent", "n"),
)
CELL_DIMS = ("issue_type", "sku", "country")
ROLLUP_DIMS = ("issue_type", "sku", "country")
EVENTS_SQL = {
    "sqlite": "INSERT INTO events (event_id, kind, conversation_id, at, data)"
    " SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4"
    " FROM json_each(:rows) WHERE true ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
    "postgresql": "INSERT INTO events (event_id, kind, conversation_id, at, data)"
    " SELECT r ->> 0, r ->> 1, r ->> 2, CAST(r ->> 3 AS float8), r ->> 4"
    " FROM json_array_elements(CAST(:rows AS json)) AS r"
    " ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
}


def _migration_1(conn: Connection) -> None:
    # the cases table as it is now (a fresh database): migration 5 finds its columns there
    metadata.create_all(conn, tables=[events, cases, daily_rollups])


def _migration_3(conn: Connection) -> None:
    metadata.create_all(conn, tables=[alert_states])


def _migration_4(conn: Connection) -> None:
    metadata.create_all(conn, tables=[weekly_cells])
    conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_cases_day ON cases (day)"))
    rebuild_case_rollups(conn)


def _migration_5(conn: Connection) -> None:
    """Team, agent, supplier, warehouse and carrier on cases (backfilled), orders shipped."""
    have = {c["name"] for c in sa.inspect(conn).get_columns("cases")}
    for name in DERIVED:
        if name not in have:
            conn.execute(sa.text(f"ALTER TABLE cases ADD COLUMN {name} TEXT"))
    metadata.create_all(conn, tables=[weekly_shipped])
    for name, cols in (
        ("ix_cases_conversation", "conversation_id"),
        ("ix_cases_order", "order_id, created_at"),
    ):
        conn.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {name} ON cases ({cols})"))
    backfill_derived(conn)


def _migration_6(conn: Connection) -> None:
    metadata.create_all(conn, tables=[case_messages, case_terms])


def _migration_7(conn: Connection) -> None:
    """The KPI facts on cases (case_facts.py), backfilled from the stored cases and events."""
    case_facts.add_columns(conn)
    metadata.create_all(conn, tables=[kpi_cells, kpi_times])
    rebuild_case_facts(conn, conn.info.get("zone") or shop_zone())  # the migrating db's zone


def rebuild_case_facts(conn: Connection, zone: ZoneInfo) -> int:
    """Recomputes every case's facts (migration 7, or after a bulk load of cases) and the
    rollups made of them (KPI, loss)."""
    done = case_facts.rebuild(conn, cases, events, zone)
    kpi_rollup.rebuild(conn, cases, kpi_cells, kpi_times)
    if sa.inspect(conn).has_table("loss_by"):  # their compensation is a fact
        loss_cells.rebuild(conn, cases, loss_cells_table, loss_by_table)
    return done


def _migration_8(conn: Connection) -> None:
    """Covering indexes for the grouped summary (see CASE_INDEXES and CELL_INDEXES)."""
    for name in SUPERSEDED:
        conn.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
    for index in (*CASE_INDEXES, *CELL_INDEXES):
        conn.execute(sa.schema.CreateIndex(index, if_not_exists=True))


def _migration_9(conn: Connection) -> None:
    metadata.create_all(conn, tables=[loss_cells_table])  # filled by migration 10


def _migration_10(conn: Connection) -> None:
    """Compensation as a case fact (backfilled for the conversations that have some), reship
    cost and compensation in the loss cells, and `loss_by`; both loss rollups rebuilt."""
    case_facts.add_columns(conn)
    paid = sa.select(events.c.conversation_id).where(events.c.kind.in_(compensation.KINDS))
    ids = set(
        conn.execute(sa.select(cases.c.case_id).where(cases.c.conversation_id.in_(paid))).scalars()
    )
    zone = conn.info.get("zone") or shop_zone()
    delta = kpi_rollup.Delta()  # the other facts are recomputed too: the KPI rollups follow
    kpi_rollup.collect(conn, cases, ids, -1, delta)
    case_facts.refresh_cases(conn, cases, events, zone, ids)
    kpi_rollup.collect(conn, cases, ids, 1, delta)
    kpi_rollup.apply(conn, kpi_cells, kpi_times, delta)
    loss_cells_table.drop(conn, checkfirst=True)  # migration 9's shape had fewer sums
    metadata.create_all(conn, tables=[loss_cells_table, loss_by_table])
    loss_cells.rebuild(conn, cases, loss_cells_table, loss_by_table)


def _migration_11(conn: Connection) -> None:
    metadata.create_all(conn, tables=[day_cells])
    _rebuild_cells(conn, day_cells, cases.c.day, cases.c.week)


# Numbered explicitly (never renumber a landed step): a step is applied once, in number order.
# 2 was never used: it stays free; 7 belongs to another branch (it may land after 8).
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _migration_1,
    3: _migration_3,
    4: _migration_4,
    5: _migration_5,
    6: _migration_6,
    7: _migration_7,
    8: _migration_8,
    9: _migration_9,
    10: _migration_10,
    11: _migration_11,
}


def derived_columns(record: Mapping[str, Any]) -> dict[str, str | None]:
    """The DERIVED columns of a case: given in the record, else worked out from its fields.

    agent: `resolved_by` when a person closed it; team: the routing team of its issue type
    and reasons (handoff.yml) when a person handled it; supplier and warehouse: the SKU's
    (shop catalog); carrier: the order's shipment (shop store), when the shop knows it.
    """
    out: dict[str, str | None] = {n: (str(record[n]) if record.get(n) else None) for n in DERIVED}
    resolved_by = record.get("resolved_by") or None
    if out["agent"] is None and resolved_by and resolved_by not in NOT_A_PERSON:
        out["agent"] = str(resolved_by)
    if out["team"] is None and out["agent"] is not None:
        reasons = record.get("reasons") or []
        if isinstance(reasons, str):
            try:
                reasons = json.loads(reasons)
            except ValueError:
                reasons = []
        issue = record.get("issue_type") or None
        out["team"] = _routing().team_for(issue, [str(r) for r in reasons or []])
    product = BY_SKU.get(str(record.get("sku") or ""))
    if out["supplier"] is None and product is not None and product.supplier:
        out["supplier"] = product.supplier
    if out["warehouse"] is None and out["supplier"] in SUPPLIERS:
        out["warehouse"] = warehouse_for(str(out["supplier"]))
    if out["carrier"] is None and record.get("order_id"):
        out["carrier"] = _carrier_of(str(record["order_id"]))
    return out


def _routing() -> Any:
    from handoff.routing.config import load_config

    return load_config()


def _carrier_of(order_id: str) -> str | None:
    try:
        from handoff import shopdata

        order = shopdata.store().get_order(order_id)
    except Exception:  # noqa: BLE001 - no shop data here: the carrier stays unknown
        return None
    shipment = order.shipment if order else None
    return shipment.carrier if shipment else None


def backfill_derived(conn: Connection) -> None:
    """Fills the DERIVED columns of every case that has none of them yet."""
    cols = [cases.c.case_id, cases.c.resolved_by, cases.c.issue_type, cases.c.reasons]
    cols += [cases.c.sku, cases.c.order_id, *[cases.c[n] for n in DERIVED]]
    empty = sa.and_(*[cases.c[n].is_(None) for n in DERIVED])
    rows = conn.execute(sa.select(*cols).where(empty)).mappings().all()
    updates = []
    for r in rows:
        values = derived_columns(r)
        if any(values.values()):
            updates.append({"id": r["case_id"], **{f"v_{k}": v for k, v in values.items()}})
    if updates:
        stmt = (
            cases.update()
            .where(cases.c.case_id == sa.bindparam("id"))
            .values({n: sa.bindparam(f"v_{n}") for n in DERIVED})
        )
        conn.execute(stmt, updates)


def rebuild_case_rollups(conn: Connection) -> None:
    """Recomputes the case rollups from the cases table (a backfill, or after a bulk load)."""
    conn.execute(daily_rollups.delete().where(daily_rollups.c.dimension.in_(ROLLUP_DIMS)))
    refunds = sa.func.coalesce(sa.func.sum(cases.c.refund_amount), 0.0)
    _rebuild_cells(conn, weekly_cells, cases.c.week)
    if sa.inspect(conn).has_table("day_cells"):  # migration 4 runs before 11 made it
        _rebuild_cells(conn, day_cells, cases.c.day, cases.c.week)
    if sa.inspect(conn).has_table("loss_by"):  # migration 4 runs before 10 made it
        loss_cells.rebuild(conn, cases, loss_cells_table, loss_by_table)
    for dim in ROLLUP_DIMS:
        key = sa.func.coalesce(cases.c[dim], "-")
        for metric, value in (("cases", sa.func.count()), ("refund", refunds)):
            query = sa.select(cases.c.day, sa.literal(dim), key, sa.literal(metric), value)
            query = query.group_by(cases.c.day, key)
            if metric == "refund":
                query = query.having(sa.func.sum(cases.c.refund_amount) != 0)
            names = ["date", "dimension", "key", "metric", "value"]
            conn.execute(daily_rollups.insert().from_select(names, query))


def _rebuild_cells(conn: Connection, table: sa.Table, *grain: Any) -> None:
    """`weekly_cells` (grain: week) or `day_cells` (day, week) from the cases table."""
    conn.execute(table.delete())
    dims = [sa.func.coalesce(cases.c[d], "") for d in CELL_DIMS]
    refunds = sa.func.coalesce(sa.func.sum(cases.c.refund_amount), 0.0)
    cells = sa.select(*grain, *dims, sa.func.count(), refunds).group_by(*grain, *dims)
    names = [c.name for c in grain] + list(CELL_DIMS) + ["cases", "refunds"]
    conn.execute(table.insert().from_select(names, cells))


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
            sa.event.listen(self.engine, "begin", _sqlite_begin)
        self.writer: Engine = self.engine.execution_options(writer=True)
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
            conn.info["zone"] = self.zone
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

    def _bump(self, conn: Connection, totals: Mapping[tuple[str, str, str, str], float]) -> None:
        totals = {k: v for k, v in totals.items() if v}
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
        rows: dict[str, list[Any]] = {
            ev.event_id: [ev.event_id, ev.kind, ev.conversation_id, ev.at, json.dumps(ev.data)]
            for ev in batch
        }
        if not rows:
            return 0
        sql = sa.text(EVENTS_SQL[self.dialect])
        day_of: dict[int, str] = {}  # per quarter hour: every zone's midnight falls on one
        with self.writer.begin() as conn:
            # in event id order: two writers racing on overlapping batches cannot deadlock
            payload = json.dumps([rows[k] for k in sorted(rows)])
            new = conn.execute(sql, {"rows": payload}).scalars().all()
            bumps: dict[tuple[str, str, str, str], float] = {}
            for event_id in new:
                _, kind, _, at, _ = rows[event_id]
                quarter = int(at // 900)
                if quarter not in day_of:
                    day_of[quarter] = local_day(quarter * 900.0, self.zone).isoformat()
                key = (day_of[quarter], "kind", kind, "events")
                bumps[key] = bumps.get(key, 0.0) + 1.0
            self._bump(conn, bumps)
            convs = {rows[event_id][2] for event_id in new if rows[event_id][2]}
            if convs:  # the facts of the cases of these conversations move
                if self.dialect == "postgresql":  # the last to lock sees every event
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(712013)"))
                ids = case_facts.touched(conn, cases, conversations=convs)
                self._refresh(conn, ids)
        return len(new)

    def _refresh(
        self,
        conn: Connection,
        ids: set[str],
        delta: kpi_rollup.Delta | None = None,
        losses: loss_cells.Contributions | None = None,
    ) -> None:
        """The KPI facts of these cases recomputed and the KPI and loss rollups moved by the
        change (`delta` and `losses` hold the rows as they were before the write, else they
        are read here)."""
        if delta is None:
            delta = kpi_rollup.Delta()
            kpi_rollup.collect(conn, cases, ids, -1, delta)
        if losses is None:
            losses = loss_cells.contributions(conn, cases, ids)
        case_facts.refresh_cases(conn, cases, events, self.zone, ids)
        kpi_rollup.collect(conn, cases, ids, 1, delta)
        kpi_rollup.apply(conn, kpi_cells, kpi_times, delta)
        moved = loss_cells.net(losses, loss_cells.contributions(conn, cases, ids))
        loss_cells.bump(conn, self._insert, loss_cells_table, loss_by_table, moved)

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
        row.update(derived_columns({**record, **{k: row[k] for k in CASE_FIELDS}}))
        day = local_day(row["created_at"], self.zone)
        row.update(source=source, day=day.isoformat(), week=week_of(day))
        return row

    def upsert_cases(self, rows: Iterable[dict[str, Any]], conn: Connection | None = None) -> int:
        """Inserts or refreshes case rows; rollups move by the difference. Returns new cases.

        A refreshed case first takes its old numbers out of the rollups, then adds its new
        ones, so a replay (same values) nets to nothing and a changed refund moves by the change.
        """
        if conn is None:
            with self.writer.begin() as own:
                return self.upsert_cases(rows, own)
        by_id = {r["case_id"]: r for r in rows}  # the last version of a case in the batch wins
        if not by_id:
            return 0
        if self.dialect == "postgresql":  # concurrent upserts of one case: one at a time
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(712013)"))
        cols = [cases.c.case_id, cases.c.day, cases.c.week, cases.c.refund_amount]
        cols += [cases.c[d] for d in CELL_DIMS]
        ids = list(by_id)
        old: list[Mapping[str, Any]] = []
        links = [cases.c.order_id, cases.c.conversation_id]
        orders = {r.get("order_id") for r in by_id.values()}
        convs = {r.get("conversation_id") for r in by_id.values()}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found = conn.execute(sa.select(*cols, *links).where(cases.c.case_id.in_(chunk)))
            for r in found.mappings().all():
                orders.add(r["order_id"])  # cases it no longer shares an order or chat with
                convs.add(r["conversation_id"])
                old.append(r)
        touched = case_facts.touched(conn, cases, orders=orders, conversations=convs)
        touched |= set(by_id)
        delta = kpi_rollup.Delta()  # the KPI and loss rollups: out with the rows as they were...
        kpi_rollup.collect(conn, cases, touched, -1, delta)
        losses = loss_cells.contributions(conn, cases, touched)
        stmt = self._insert(cases)
        stmt = stmt.on_conflict_do_update(
            index_elements=["case_id"],
            set_={
                c.name: stmt.excluded[c.name]
                for c in cases.columns
                if c.name != "case_id" and c.name not in case_facts.COLUMNS
            },
        )
        conn.execute(stmt, [by_id[k] for k in sorted(by_id)])
        self._refresh(conn, touched, delta, losses)  # ...in with them as they are
        daily: dict[tuple[str, str, str, str], float] = {}
        weekly: dict[tuple[str, ...], list[float]] = {}
        by_day: dict[tuple[str, ...], list[float]] = {}
        fresh = {r["case_id"]: r for r in by_id.values()}
        for r in old:  # a replayed case (same numbers) moves nothing, not even by 0.0000001
            if all(r[c.name] == fresh[r["case_id"]][c.name] for c in cols):
                del fresh[r["case_id"]]
        gone = [r for r in old if r["case_id"] in fresh]
        for sign, group in ((-1.0, gone), (1.0, list(fresh.values()))):
            for r in group:
                refund = float(r["refund_amount"] or 0.0)
                dims = [r[d] or "" for d in CELL_DIMS]
                for cell in (
                    weekly.setdefault((r["week"], *dims), [0, 0]),
                    by_day.setdefault((r["day"], *dims, r["week"]), [0, 0]),
                ):
                    cell[0] += sign
                    cell[1] += sign * refund
                for dim in ROLLUP_DIMS:
                    key = (r["day"], dim, r[dim] or "-", "cases")
                    daily[key] = daily.get(key, 0.0) + sign
                    if refund:
                        key = (r["day"], dim, r[dim] or "-", "refund")
                        daily[key] = daily.get(key, 0.0) + sign * refund
        self._bump(conn, daily)
        self._bump_cells(conn, weekly_cells, ("week", *CELL_DIMS), weekly)
        self._bump_cells(conn, day_cells, ("day", *CELL_DIMS, "week"), by_day)
        return len(by_id) - len(old)

    def _bump_cells(
        self,
        conn: Connection,
        table: sa.Table,
        names: tuple[str, ...],
        cells: Mapping[tuple[str, ...], list[float]],
    ) -> None:
        """Moves `weekly_cells` or `day_cells` (keyed by `names`) by what a write changed."""
        changed = [
            dict(zip(names, key, strict=True), cases=int(n), refunds=refund)
            for key, (n, refund) in sorted(cells.items())
            if n or refund
        ]
        if not changed:
            return
        stmt = self._insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=[c.name for c in table.primary_key],
            set_={
                "cases": table.c.cases + stmt.excluded.cases,
                "refunds": table.c.refunds + stmt.excluded.refunds,
            },
        )
        conn.execute(stmt, changed)

    def put_shipped(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Sets orders shipped per (week, SKU, country): rows of `week_start` (any time in the
        week, ISO or epoch; placed in its shop-local week), sku, country, orders and optionally
        supplier and warehouse (else the catalog's). Replaces what a key held; returns keys."""
        totals: dict[tuple[str, str, str], dict[str, Any]] = {}
        for r in rows:
            start = r["week_start"]
            at = float(start) if isinstance(start, (int, float)) else _epoch(str(start))
            week = week_of(local_day(at, self.zone))
            key = (week, str(r["sku"]), str(r["country"]))
            found = derived_columns({"sku": r["sku"], "supplier": r.get("supplier")})
            row = totals.setdefault(
                key,
                {
                    "week": week,
                    "sku": key[1],
                    "country": key[2],
                    "supplier": found["supplier"],
                    "warehouse": r.get("warehouse") or found["warehouse"],
                    "orders": 0,
                },
            )
            row["orders"] += int(r.get("orders") or 0)
        if not totals:
            return 0
        stmt = self._insert(weekly_shipped)
        stmt = stmt.on_conflict_do_update(
            index_elements=["week", "sku", "country"],
            set_={n: stmt.excluded[n] for n in ("supplier", "warehouse", "orders")},
        )
        with self.writer.begin() as conn:
            conn.execute(stmt, [totals[k] for k in sorted(totals)])
        return len(totals)

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


def _epoch(text: str) -> float:
    when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).timestamp()


def shipped_from_store(store: Any, since: float | None = None) -> list[dict[str, Any]]:
    """The shop's order lines shipped (since `since`), one row each with the product's
    supplier, at the time of their first scan (`week_start`: any time in the week)."""
    out = []
    for order in store.all_orders():
        shipment = order.shipment
        if shipment is None or not shipment.events:
            continue
        at = shipment.events[0].at.timestamp()
        if since is not None and at < since:
            continue
        for line in order.lines:
            product = store.product(line.sku)
            out.append(
                {
                    "week_start": at,
                    "sku": line.sku,
                    "country": order.country,
                    "supplier": product.supplier if product else None,
                    "orders": 1,
                }
            )
    return out


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
    dbapi_conn.isolation_level = None  # transactions begin in `_sqlite_begin`, not in pysqlite


def _sqlite_begin(conn: Connection) -> None:
    """Write transactions take the write lock up front, so what they read stays true."""
    immediate = conn.get_execution_options().get("writer")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
