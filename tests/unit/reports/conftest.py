"""Both backends for the reports tests: a SQLite file and a real PostgreSQL 15 cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from handoff.reports.db import ReportsDB, metadata


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
