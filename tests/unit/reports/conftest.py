"""Shared by the reports tests: both backends (a SQLite file and a real PostgreSQL 15
cluster), the real gateway app on the backend under test, and generated cases."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from handoff.dev.gateway import dev_extras
from handoff.reports.db import ReportsDB, metadata
from handoff.settings import Settings
from handoff.web.app import create_app

T0 = 1767571200.0  # 2026-01-05 00:00 UTC, a Monday (01:00 in Paris)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReportsDB]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'reports.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
        engine = sa.create_engine(url, future=True)
        metadata.drop_all(engine)  # each test starts from an empty schema
        engine.dispose()
    reports = ReportsDB(url, zone=ZoneInfo("Europe/Paris"))
    yield reports
    reports.engine.dispose()


@pytest.fixture
async def client(
    redis_url: str, db: ReportsDB, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TestClient]:
    """The gateway app (demo accounts) on a flushed Redis, its reports on `db`."""
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.close()
    monkeypatch.setenv("DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SHOP_TIMEZONE", "Europe/Paris")
    app = create_app(Settings(redis_url=redis_url, demo_accounts=True), [dev_extras])
    c = TestClient(TestServer(app))
    await c.start_server()
    yield c
    await c.close()


def generate_cases(
    db: ReportsDB,
    n: int,
    seed: int,
    *,
    days: int,
    skus: Sequence[str | None],
    countries: Sequence[str | None],
    issues: Sequence[str | None],
    extra: Callable[[random.Random], dict[str, Any]] | None = None,
    batch: int = 500,
    half_first: bool = False,
) -> None:
    """`n` random live cases over `days` days from 3 days before T0, written batch by batch
    (the rollups move incrementally); then a tenth of them corrected (new refund, other
    country) and written again (after the first half alone if `half_first`)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        record = {
            "case_id": f"G-{i:05d}",
            "created_at": T0 - 3 * 86400 + rng.random() * days * 86400,
            "sku": rng.choice(skus),
            "country": rng.choice(countries),
            "issue_type": rng.choice(issues),
            "refund_amount": rng.choice((None, round(rng.random() * 80, 2))),
            **(extra(rng) if extra else {}),
        }
        rows.append(db.case_row(record, "live"))
    for start in range(0, n, batch):
        db.upsert_cases(rows[start : start + batch])
    for row in rng.sample(rows, n // 10):
        row.update(refund_amount=round(rng.random() * 20, 2), country=rng.choice(countries))
    if half_first:
        db.upsert_cases(rows[: n // 2])
    db.upsert_cases(rows)
