"""Events and cases stream into SQL once, on SQLite and PostgreSQL, whatever is replayed."""

from __future__ import annotations

import sqlalchemy as sa
from redis.asyncio import Redis

from handoff import keys
from handoff.cases.events import Event, EventBus
from handoff.cases.schema import Case
from handoff.cases.writer import CaseWriter
from handoff.reports.db import MIGRATIONS, ReportsDB, cases, daily_rollups, events
from handoff.reports.ingest import GROUP, Ingestor

# 2026-03-02 23:30 UTC is already Tuesday 00:30 in Paris: rollups use the shop's day
LATE_MONDAY_UTC = 1772494200.0


async def _fresh(redis_url: str) -> Redis:
    aio = Redis.from_url(redis_url)
    await aio.delete(keys.EVENTS_STREAM, keys.CASES_STREAM, keys.CASE_SEQ)
    return aio


async def test_events_and_cases_land_once_even_when_replayed(redis_url: str, db: ReportsDB) -> None:
    aio = await _fresh(redis_url)
    try:
        bus = EventBus(aio)
        await bus.emit(Event("conversation_started", "c1", {"channel": "chat"}, at=LATE_MONDAY_UTC))
        await bus.emit(Event("escalated", "c1", {"reasons": ["angry"]}, at=LATE_MONDAY_UTC + 5))
        case_id = await CaseWriter(aio).record(
            Case("c1", "damaged", "refund", "alice", sku="LAMP-07", country="FR",
                 refund_amount=39.5, currency="EUR"),
            now=LATE_MONDAY_UTC + 60,
        )  # fmt: skip
        ingestor = Ingestor(aio, db, "gw-test")
        assert await ingestor.drain() == 3
        assert db.count(events) == 2
        with db.engine.connect() as conn:
            row = conn.execute(sa.select(cases).where(cases.c.case_id == case_id)).mappings().one()
        assert (row["sku"], row["issue_type"], row["refund_amount"]) == ("LAMP-07", "damaged", 39.5)
        assert (row["source"], row["day"], row["week"]) == ("live", "2026-03-03", "2026-03-02")
        before = db.rollups("issue_type", "cases")
        assert before == {("2026-03-03", "damaged"): 1.0}
        assert db.rollups("sku", "refund") == {("2026-03-03", "LAMP-07"): 39.5}

        # replay: a second consumer group reads both streams from the start
        await aio.xgroup_setid(keys.EVENTS_STREAM, GROUP, "0")
        await aio.xgroup_setid(keys.CASES_STREAM, GROUP, "0")
        assert await ingestor.drain() == 3
        assert db.count(events) == 2 and db.count(cases) == 1
        assert db.rollups("issue_type", "cases") == before
        assert db.rollups("kind", "events") == {
            ("2026-03-03", "conversation_started"): 1.0,
            ("2026-03-03", "escalated"): 1.0,
        }
    finally:
        await aio.close()


async def test_a_dead_consumers_pending_entries_are_claimed(redis_url: str, db: ReportsDB) -> None:
    aio = await _fresh(redis_url)
    try:
        await EventBus(aio).emit(Event("claimed", "c2", {"agent": "bob"}))
        dead = Ingestor(aio, db, "gw-dead")
        await dead.ensure_groups()
        # the dead gateway read the entry and crashed before storing and acknowledging it
        await aio.xreadgroup(GROUP, "gw-dead", {keys.EVENTS_STREAM: ">"}, count=10)
        assert db.count(events) == 0
        alive = Ingestor(aio, db, "gw-alive", claim_idle_ms=0)
        await alive.drain()
        assert db.count(events) == 1
        pending = await aio.xpending(keys.EVENTS_STREAM, GROUP)
        assert pending["pending"] == 0
    finally:
        await aio.close()


def test_migrations_are_idempotent(db: ReportsDB) -> None:
    assert db.migrate() == max(MIGRATIONS)
    assert db.migrate() == max(MIGRATIONS)
    with db.engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version FROM schema_version")).scalars().all()
    assert sorted(versions) == sorted(MIGRATIONS)
    assert db.count(daily_rollups) == 0
