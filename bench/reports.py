"""Review-loop numbers: stream → SQL ingestion rate and report query p95 on N cases.

    .venv/bin/python bench/reports.py [--cases 100000] [--events 20000] [--pg postgresql://...]

1. Ingestion: `--events` events on a real Redis stream (redis-server on a free port),
   drained by the consumer-group ingestor into the database → events/s.
2. Queries: `--cases` generated cases bulk-upserted, then the summary table (random filter
   combinations: none, country, sku, issue type, date range) and the KPIs, 30 runs each → p95.
SQLite always (a temp file); PostgreSQL too when --pg is given.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis.asyncio import Redis  # noqa: E402

from handoff import keys  # noqa: E402
from handoff.cases.events import Event, EventBus  # noqa: E402
from handoff.dev.launcher import free_port, redis_server_binary  # noqa: E402
from handoff.reports import queries  # noqa: E402
from handoff.reports.db import ReportsDB, metadata  # noqa: E402
from handoff.reports.ingest import Ingestor  # noqa: E402

ISSUES = ("damaged_item", "wrong_item", "delivery_time", "size_help", "not_as_described")
COUNTRIES = ("FR", "DE", "ES", "IT", "US", "JP", "BR", "SA", "VN", "TH")
SKUS = tuple(f"SKU-{i:03d}" for i in range(200))
START = 1767225600.0  # 2026-01-01


async def ingest(db: ReportsDB, redis_url: str, n: int) -> float:
    redis = Redis.from_url(redis_url)
    await redis.delete(keys.EVENTS_STREAM, keys.CASES_STREAM)
    bus = EventBus(redis)
    for start in range(0, n, 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for i in range(start, min(n, start + 1000)):
                ev = Event("intent", f"c{i // 5}", {"intent": "track_order"}, at=START + i)
                pipe.xadd(keys.EVENTS_STREAM, {"event": ev.to_json()})
            await pipe.execute()
    del bus
    began = time.perf_counter()
    await Ingestor(redis, db, "bench", batch=1000).drain()
    elapsed = time.perf_counter() - began
    await redis.close()
    return n / elapsed


def load_cases(db: ReportsDB, n: int) -> float:
    rng = random.Random(7)
    began = time.perf_counter()
    for start in range(0, n, 5000):
        rows = [
            db.case_row(
                {
                    "case_id": f"B-{i:07d}",
                    "created_at": START + rng.random() * 84 * 86400,
                    "issue_type": rng.choice(ISSUES),
                    "resolution": "reship",
                    "sku": rng.choice(SKUS),
                    "country": rng.choice(COUNTRIES),
                    "refund_amount": round(rng.random() * 50, 2),
                },
                "import",
            )
            for i in range(start, min(n, start + 5000))
        ]
        db.upsert_cases(rows)
    return time.perf_counter() - began


def p95(fn: object, runs: int = 30) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - began) * 1000)
    return statistics.quantiles(times, n=20)[-1]


def measure(url: str, redis_url: str, cases: int, events: int) -> dict[str, float]:
    import sqlalchemy as sa

    engine = sa.create_engine(url, future=True)
    metadata.drop_all(engine)
    engine.dispose()
    db = ReportsDB(url, zone=ZoneInfo("Europe/Paris"))
    rate = asyncio.run(ingest(db, redis_url, events))
    load_s = load_cases(db, cases)
    rng = random.Random(3)

    def summary() -> None:
        filters = rng.choice(
            [
                {},
                {"country": rng.choice(COUNTRIES)},
                {"sku": rng.choice(SKUS)},
                {"issue_type": rng.choice(ISSUES), "from": "2026-02-01", "to": "2026-02-28"},
            ]
        )
        queries.summary_table(db, filters)  # type: ignore[arg-type]

    out = {
        "events_per_s": rate,
        "load_s": load_s,
        "summary_p95_ms": p95(summary),
        "kpis_p95_ms": p95(lambda: queries.kpis(db, "2026-01-01", "2026-03-31"), runs=10),
    }
    db.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--pg", default="", help="a PostgreSQL URL (its tables are recreated)")
    args = parser.parse_args()
    port = free_port()
    redis_proc = subprocess.Popen(
        [redis_server_binary(), "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    redis_url = f"redis://127.0.0.1:{port}/0"
    results = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sqlite_url = f"sqlite:///{tmp}/bench.sqlite3"
            results["sqlite"] = measure(sqlite_url, redis_url, args.cases, args.events)
        if args.pg:
            results["postgresql"] = measure(args.pg, redis_url, args.cases, args.events)
    finally:
        redis_proc.terminate()
        redis_proc.wait(5)
    print(f"{args.cases:,} cases, {args.events:,} events")
    print(f"{'backend':<12}{'events/s':>10}{'load s':>9}{'summary p95 ms':>16}{'KPIs p95 ms':>13}")
    for name, r in results.items():
        print(
            f"{name:<12}{r['events_per_s']:>10,.0f}{r['load_s']:>9.1f}"
            f"{r['summary_p95_ms']:>16.1f}{r['kpis_p95_ms']:>13.1f}"
        )


if __name__ == "__main__":
    main()
