"""Review-loop numbers: stream → SQL ingestion rate and report query p95 on N cases.

    .venv/bin/python bench/reports.py [--cases 1000000] [--events 20000] [--pg auto|URL|none]
        [--sqlite FILE|none] [--reuse] [--only NAME]

1. Ingestion: `--events` events on a real Redis stream (redis-server on a free port),
   drained by the consumer-group ingestor into the database → events/s; then the stream is
   replayed from the start and the bench checks that nothing changed.
2. Queries: `--cases` generated cases bulk-loaded (executemany on SQLite, COPY on
    PostgreSQL) with remedy and coupon events for about 11% of them, the rollups and the
    case facts rebuilt from them (facts_s: migrations 7 and 10's backfill), VACUUM ANALYZE on
    PostgreSQL (what autovacuum does after a bulk load), then every report query `--runs`
    times → p95:
    the grouped summary the reports page asks for (each group choice unfiltered, one filter, a
    range cutting weeks, filters the rollup does not keep), the raw cell dump (the summary
    without `group`) with 0, 1 and 2 filters and an off-rollup filter, the export's first page,
    the KPIs, and the page's other sections: trend, loss, the KPI table and the drill-downs.
SQLite always (a temp file); PostgreSQL on a throwaway cluster (fsync on) unless `--pg none`.
Writes bench/results/reports.json and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from handoff import keys  # noqa: E402
from handoff.cases.events import Event  # noqa: E402
from handoff.dev.launcher import free_port, redis_server_binary  # noqa: E402
from handoff.reports import (  # noqa: E402
    breakdowns,
    drilldown,
    kpi_table,
    loss,
    queries,
    summary_groups,
)
from handoff.reports.db import (  # noqa: E402
    ReportsDB,
    cases,
    events,
    local_day,
    metadata,
    rebuild_case_facts,
    rebuild_case_rollups,
    week_of,
)
from handoff.reports.ingest import GROUP, Ingestor  # noqa: E402
from tests.support import postgres  # noqa: E402

ISSUES = ("damaged_item", "wrong_item", "delivery_time", "size_help", "not_as_described")
COUNTRIES = ("FR", "DE", "ES", "IT", "US", "JP", "BR", "SA", "VN", "TH")
SKUS = tuple(f"SKU-{i:03d}" for i in range(200))
CHANNELS = ("chat", "email", "import")
START = 1767571200.0  # 2026-01-05, a Monday: 12 whole weeks follow
ZONE = ZoneInfo("Europe/Paris")
LIFE: tuple[tuple[str, dict[str, Any]], ...] = (  # one handed-off conversation, 6 events
    ("conversation_started", {"channel": "chat", "language": "fr"}),
    ("intent", {"intent": "track_order", "confidence": 0.93}),
    ("escalated", {"reasons": ["asked_for_human"], "priority": "normal"}),
    ("claimed", {"agent": "alice", "waited_s": 40.0}),
    ("first_human_reply", {"agent": "alice", "first_response_s": 75.0}),
    ("closed", {"agent": "alice", "issue_type": "damaged_item", "resolution": "reship"}),
)
OUT = ROOT / "bench" / "results" / "reports.json"
FACTS_S: list[float] = []  # seconds the last bulk load spent on the cases' KPI facts
COLUMNS: tuple[str, ...] = ("case_id", "created_at", "issue_type", "resolution", "sku")
COLUMNS += ("country", "refund_amount", "currency", "channel", "source", "day", "week")
# who handled it and the supply chain (migration 5), the desk's times, the conversation
COLUMNS += ("conversation_id", "order_id", "resolved_by", "agent", "team", "supplier")
COLUMNS += ("warehouse", "carrier", "waited_s", "first_response_s", "sla_breached")
AGENTS = ("alice", "bruno", "chen", "dana", "emre", "fatou", "goro", "hana")
TEAMS = ("billing", "logistics", "general")
SUPPLIERS = tuple(f"Supplier {i}" for i in range(12))
CARRIERS = ("NimbusPost", "TerraLink", "SkyBridge Express")


async def ingest(db: ReportsDB, redis_url: str, n: int) -> dict[str, float]:
    redis = Redis.from_url(redis_url)
    await redis.delete(keys.EVENTS_STREAM, keys.CASES_STREAM)
    for start in range(0, n, 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for i in range(start, min(n, start + 1000)):
                kind, data = LIFE[i % len(LIFE)]
                ev = Event(kind, f"c{i // len(LIFE)}", data, at=START + i * 30)
                pipe.xadd(keys.EVENTS_STREAM, {"event": ev.to_json()})
            await pipe.execute()
    ingestor = Ingestor(redis, db, "bench", batch=1000)
    began = time.perf_counter()
    await ingestor.drain()
    elapsed = time.perf_counter() - began
    stored = db.count(events)
    rollup = sum(db.rollups("kind", "events").values())
    await redis.xgroup_setid(keys.EVENTS_STREAM, GROUP, "0")  # replay everything
    began = time.perf_counter()
    await ingestor.drain()
    replay_s = time.perf_counter() - began
    unchanged = (
        db.count(events) == stored == n and sum(db.rollups("kind", "events").values()) == rollup
    )
    await redis.aclose() if hasattr(redis, "aclose") else await redis.close()
    return {
        "events_per_s": n / elapsed,
        "replay_events_per_s": n / replay_s,
        "replay_unchanged": unchanged,
    }


def generate(n: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    day_of: dict[int, tuple[str, str]] = {}
    for i in range(n):
        at = START + rng.random() * 84 * 86400
        quarter = int(at // 900)
        if quarter not in day_of:
            day = local_day(quarter * 900.0, ZONE)
            day_of[quarter] = (day.isoformat(), week_of(day))
        refund = round(rng.random() * 50, 2) if rng.random() < 0.4 else None
        sku = rng.randrange(len(SKUS))
        person = rng.random() < 0.7
        agent = rng.choice(AGENTS) if person else None
        waited = round(rng.lognormvariate(4.8, 0.9), 1) if person else None
        first = round(waited + rng.lognormvariate(3.5, 0.7), 1) if waited else None
        yield (
            f"B-{i:07d}", at, rng.choice(ISSUES), rng.choice(("reship", "answered")), SKUS[sku],
            rng.choice(COUNTRIES), refund, "EUR" if refund else None, rng.choice(CHANNELS),
            "import", *day_of[quarter],
            f"c{i}", f"XB-{i:07d}", agent or "bot", agent, rng.choice(TEAMS) if person else None,
            SUPPLIERS[sku % len(SUPPLIERS)], f"WH-{sku % 3}", rng.choice(CARRIERS),
            waited, first, None if first is None else str(first > 600),
        )  # fmt: skip


def compensation_events(n: int, seed: int = 5) -> Iterator[dict[str, Any]]:
    """Remedies accepted (store credit, goodwill; refunds too, which count as refunds) for
    about 8% of the generated cases and fixed coupons for 3%, in three currencies, half
    naming their case: the loss section's compensation comes from these."""
    rng = random.Random(seed)
    for i in range(n):
        roll = rng.random()
        if roll >= 0.11:
            continue
        at = START + 84 * 86400 * (i / n)
        if roll < 0.08:
            kind = "remedy_accepted"
            remedy = rng.choice(("store_credit", "goodwill", "partial_refund", "discount_next"))
            data: dict[str, Any] = {"remedy": remedy, "amount": round(rng.uniform(3, 40), 2)}
        else:
            kind = "coupon_issued"
            data = {"kind": "fixed", "value": rng.choice((5, 10, 15)), "code": f"BENCH{i}"}
        data["currency"] = rng.choice(("EUR", "USD", "GBP"))
        if rng.random() < 0.5:
            data["case_id"] = f"B-{i:07d}"
        yield {
            "event_id": f"bench-comp-{i}",
            "kind": kind,
            "conversation_id": f"c{i}",
            "at": at,
            "data": json.dumps(data),
        }


def shipped_rows() -> Iterator[dict[str, Any]]:
    """Orders shipped per week, SKU and country for the 12 weeks (about 40 per case)."""
    rng = random.Random(11)
    for week in range(12):
        for s, sku in enumerate(SKUS):
            for country in COUNTRIES:
                yield {
                    "week_start": START + week * 7 * 86400 + 3600,
                    "sku": sku,
                    "country": country,
                    "supplier": SUPPLIERS[s % len(SUPPLIERS)],
                    "warehouse": f"WH-{s % 3}",
                    "orders": rng.randint(0, 40),
                }


def bulk_load(db: ReportsDB, n: int) -> float:
    """Cases straight into the table, then the rollups rebuilt from them (one transaction)."""
    began = time.perf_counter()
    rows = generate(n)
    with db.writer.begin() as conn:
        if db.dialect == "postgresql":
            cursor = conn.connection.cursor()
            while chunk := [r for _, r in zip(range(100_000), rows, strict=False)]:
                buf = io.StringIO()
                csv.writer(buf).writerows(("" if v is None else v for v in r) for r in chunk)
                buf.seek(0)
                cursor.copy_expert(
                    f"COPY cases ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)", buf
                )
        else:
            stmt = cases.insert()
            while chunk := [r for _, r in zip(range(50_000), rows, strict=False)]:
                conn.execute(stmt, [dict(zip(COLUMNS, r, strict=True)) for r in chunk])
        paid = compensation_events(n)
        while batch := [e for _, e in zip(range(50_000), paid, strict=False)]:
            conn.execute(events.insert(), batch)
        rebuild_case_rollups(conn)
    facts_began = time.perf_counter()
    with db.writer.begin() as conn:  # the KPI facts (migration 7) of the loaded cases
        rebuild_case_facts(conn, db.zone)
    FACTS_S.append(time.perf_counter() - facts_began)
    db.put_shipped(shipped_rows())
    if db.dialect == "postgresql":  # what autovacuum does after a bulk load: statistics and
        # the visibility map the index-only scans of the covering indexes need
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    if db.dialect == "sqlite":  # as a running gateway's checkpoints would have by now
        raw = db.engine.raw_connection()  # autocommit: no transaction may be open
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    return time.perf_counter() - began


def p95(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm: the first run pays for the page cache, not the query
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.quantiles(times, n=20)[-1] if runs >= 2 else times[0]


def report_queries(db: ReportsDB) -> dict[str, Callable[[], object]]:
    rng = random.Random(3)

    def summary(pick: Callable[[], dict[str, str | None]]) -> Callable[[], object]:
        return lambda: queries.summary_table(db, pick())

    def grouped(group: str, pick: Callable[[], Mapping[str, str | None]]) -> Callable[[], object]:
        dims = summary_groups.parse_group(group)
        return lambda: summary_groups.grouped_summary(db, pick(), dims, 40)

    weeks = [f"2026-{m:02d}-{d:02d}" for m, d in ((1, 12), (1, 26), (2, 9))]
    midweek = ("2026-01-14", "2026-01-28", "2026-02-11")  # Wednesdays
    all3 = "issue_type,sku,country"
    one_filter = lambda: rng.choice(  # noqa: E731
        [
            {"country": rng.choice(COUNTRIES)},
            {"sku": rng.choice(SKUS)},
            {"issue_type": rng.choice(ISSUES)},
        ]
    )
    off_rollup = lambda: rng.choice(  # noqa: E731
        [
            {"supplier": rng.choice(SUPPLIERS)},
            {"channel": rng.choice(CHANNELS), "country": rng.choice(COUNTRIES)},
            {"agent": rng.choice(AGENTS), "from": "2026-02-04"},
        ]
    )
    return {
        # what the reports page asks for (?group=...&top=40): unfiltered for each group choice,
        # one rollup filter, a date range cutting weeks, filters the rollup does not keep
        "grouped, issue type": grouped("issue_type", lambda: {}),
        "grouped, product": grouped("sku", lambda: {}),
        "grouped, country": grouped("country", lambda: {}),
        "grouped, all three": grouped(all3, lambda: {}),
        "grouped, 1 filter": grouped("sku", one_filter),
        "grouped, 3, 1 filter": grouped(all3, one_filter),
        "grouped, cut weeks": grouped(
            all3, lambda: {"from": rng.choice(midweek), "to": "2026-03-11"}
        ),
        "grouped, off-rollup": grouped("issue_type", off_rollup),
        "grouped, 3, off-rollup": grouped(all3, off_rollup),
        # the raw form (no `group`): every (issue type, SKU, country, week) cell
        "raw cells, no filter": summary(lambda: {}),
        "raw cells, 1 filter": summary(
            lambda: rng.choice(
                [
                    {"country": rng.choice(COUNTRIES)},
                    {"sku": rng.choice(SKUS)},
                    {"issue_type": rng.choice(ISSUES)},
                ]
            )
        ),
        "raw cells, 2 filters": summary(
            lambda: rng.choice(
                [
                    {"country": rng.choice(COUNTRIES), "issue_type": rng.choice(ISSUES)},
                    {"sku": rng.choice(SKUS), "from": rng.choice(weeks), "to": "2026-03-22"},
                    {"issue_type": rng.choice(ISSUES), "from": "2026-02-04", "to": "2026-03-11"},
                ]
            )
        ),
        "raw cells, off-rollup": summary(
            lambda: {"channel": rng.choice(CHANNELS), "country": rng.choice(COUNTRIES)}
        ),
        "export, first page": lambda: next(queries.case_pages(db)),
        "KPIs": lambda: queries.kpis(db, "2026-01-05", "2026-03-29"),
        # the reports page's sections (handoff/reports/breakdowns.py), unfiltered and with
        # the filters a click on a number adds
        "trend, by SKU": lambda: breakdowns.trend(db, {}, "sku"),
        "trend, 2 filters": lambda: breakdowns.trend(
            db, {"country": rng.choice(COUNTRIES), "from": "2026-02-04"}, "issue_type"
        ),
        "loss, by supplier": lambda: loss.loss(db, {}, "supplier"),
        "loss, 1 filter": lambda: loss.loss(db, {"issue_type": rng.choice(ISSUES)}, "sku"),
        "KPI table, everyone": lambda: kpi_table.kpis(db, {}, "all"),
        "KPI table, per agent": lambda: kpi_table.kpis(
            db, {"from": "2026-03-02", "to": "2026-03-29"}, "agent"
        ),
        "cases, first page": lambda: drilldown.case_list(
            db, {"country": rng.choice(COUNTRIES), "sku": rng.choice(SKUS)}, None, 50, None
        ),
        "cases, metric page 2": lambda: _second_page(db, rng.choice(breakdowns.METRICS)),
    }


def _second_page(db: ReportsDB, metric: str) -> object:
    first = drilldown.case_list(db, {"issue_type": "size_help"}, metric, 50, None)
    return drilldown.case_list(db, {"issue_type": "size_help"}, metric, 50, first["next"])


def loaded(url: str, n_cases: int) -> bool:
    """Whether the database at `url` already holds this bench's `n_cases` (for `--reuse`)."""
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar()
                        == n_cases)  # fmt: skip
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()


def measure(
    url: str, redis_url: str, n_cases: int, n_events: int, runs: int, reuse: bool, only: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if reuse and loaded(url, n_cases):  # queries only, on the cases a previous run loaded
        db = ReportsDB(url, zone=ZONE)
        out = {"events_per_s": None, "load_s": None, "facts_s": None, "replay_unchanged": None}
    else:
        engine = sa.create_engine(url, future=True)
        metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS schema_version")
        engine.dispose()
        db = ReportsDB(url, zone=ZONE)
        out = asyncio.run(ingest(db, redis_url, n_events))
        out["load_s"] = bulk_load(db, n_cases)
        out["facts_s"] = FACTS_S[-1]
    out["cases"] = db.count(cases)
    out["p95_ms"] = {}
    for name, fn in report_queries(db).items():
        if only and only not in name:
            continue
        slow = name == "KPIs" or name.startswith("KPI table")
        out["p95_ms"][name] = p95(fn, runs if not slow else max(2, runs // 3))
        print(f"  {db.dialect:<10} {name:<24} p95 {out['p95_ms'][name]:8.1f} ms", flush=True)
    db.engine.dispose()
    return out


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [redis_server_binary(), "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pg", default="auto", help="auto (throwaway cluster), a URL, or none")
    parser.add_argument(
        "--sqlite", default="", help="SQLite file to use, or none (default: a temp file)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="skip ingestion and loading when the databases already hold --cases cases "
        "(a kept --sqlite file, a --pg URL): query timings only",
    )
    parser.add_argument("--only", default="", help="time only the queries whose name has this")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    run = (args.cases, args.events, args.runs, args.reuse, args.only)
    with redis_server() as redis_url:
        if args.sqlite != "none":
            with tempfile.TemporaryDirectory() as tmp:
                sqlite_url = f"sqlite:///{args.sqlite or tmp + '/bench.sqlite3'}"
                results["sqlite"] = measure(sqlite_url, redis_url, *run)
        if args.pg == "auto" and postgres.missing() is None:
            with postgres.cluster(fsync=True) as url:
                results["postgresql"] = measure(url, redis_url, *run)
        elif args.pg not in ("auto", "none"):
            results["postgresql"] = measure(args.pg, redis_url, *run)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "cases": args.cases,
        "events": args.events,
        "runs": args.runs,
        "cpus": platform.machine(),
    }
    if not args.only:  # a partial run leaves the last full results in place
        OUT.write_text(json.dumps({"params": meta, "results": results}, indent=2) + "\n")
    print(f"\n{args.cases:,} cases, {args.events:,} events, p95 of {args.runs} runs (ms)")
    names = list(next(iter(results.values()))["p95_ms"])
    print(f"{'':<24}" + "".join(f"{b:>14}" for b in results))
    rates = (("ingest events/s", "events_per_s"), ("bulk load s", "load_s"))
    for label, key in (*rates, ("of it, KPI facts s", "facts_s")):
        print(f"{label:<24}" + "".join(_cell(r[key], "{:>14,.1f}") for r in results.values()))
    print(
        f"{'replay changes nothing':<24}"
        + "".join(_cell(r["replay_unchanged"], "{!s:>14}") for r in results.values())
    )
    for name in names:
        print(f"{name:<24}" + "".join(f"{r['p95_ms'][name]:>14.1f}" for r in results.values()))


def _cell(value: object, spec: str) -> str:
    return f"{'(reused)':>14}" if value is None else spec.format(value)


if __name__ == "__main__":
    main()
