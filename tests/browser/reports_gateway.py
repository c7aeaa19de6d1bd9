"""A gateway of its own for the reports page tests: its own SQLite file (empty, or with the
twelve weeks of generated history) and its own Redis database number, on the session stack's
Redis and Rasa, so the stack's shared reports database and stream consumers are untouched."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import redis

from handoff.dev.launcher import ROOT, free_port, wait_http
from handoff.reports import keyword_store
from handoff.reports.db import ReportsDB
from shop.history import carrier_for, generate_history

# Redis database numbers of these gateways (the stack uses 0): flushed before each start.
REDIS_DBS = iter(range(9, 16))


def next_monday() -> datetime:
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=7 - today.weekday())


def load_history(url: str) -> int:
    """The generated 12 weeks (last one ending next Monday) as case rows (with their order's
    carrier), orders shipped and what the shoppers wrote (for the complaint keywords); how
    many cases."""
    db = ReportsDB(url)
    try:
        history = generate_history(next_monday())
        rows = [
            db.case_row({**r, "carrier": carrier_for(r["order_id"])}, "import")
            for r in history.cases
        ]
        db.put_shipped(history.shipped)
        new = db.upsert_cases(rows)
        keyword_store.store_messages(db, history.messages)
        return new
    finally:
        db.engine.dispose()


@pytest.fixture
def reports_gateway(stack: Any, tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Factory: `reports_gateway(history=False)` starts a gateway and returns its URL."""
    procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(history: bool = False) -> str:
        n = len(procs)
        db_url = f"sqlite:///{tmp_path / f'reports-{n}.sqlite3'}"
        if history:
            assert load_history(db_url) > 1000
        redis_db = next(REDIS_DBS)
        redis_url = stack.redis_url.rsplit("/", 1)[0] + f"/{redis_db}"
        redis.Redis.from_url(redis_url).flushdb()
        port = free_port()
        env = {
            **stack.env(),
            "GATEWAY_PORT": str(port),
            "EMAIL_INBOUND_PORT": str(free_port()),
            "REDIS_URL": redis_url,
            "DATABASE_URL": db_url,
            "DEMO_ACCOUNTS": "1",
            "NOTICES_EVERY_S": "0",  # the stack's gateway mails the shipment notices
            "GATEWAY_INSTANCE": f"gw-reports-{n}",
        }
        log_path = tmp_path / f"gateway-{n}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "handoff.dev.gateway"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        procs.append((proc, log_path))
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/healthz", 90, proc)
        return url

    yield start
    for proc, log_path in procs:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        for line in log_path.read_text(errors="replace").splitlines()[-10:]:
            print("gateway:", line)
