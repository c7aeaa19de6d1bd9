"""Redis streams → SQL: a consumer-group reader of the events and cases streams.

Every gateway may run `ingest_loop`; the consumer group (`reports`) hands each entry to one
consumer. Delivery is at-least-once: an entry is acknowledged only after its rows are
committed, entries left pending by a consumer that died are claimed after `claim_idle_ms`,
and the database stores an event id or a case id once, so a replay changes nothing. A Redis
blip ends the current read; the loop reconnects with capped exponential backoff.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

import redis.exceptions
from redis.asyncio import Redis

from handoff import keys
from handoff.cases.events import Event
from handoff.reports import keyword_store
from handoff.reports.db import ReportsDB

log = logging.getLogger(__name__)
GROUP = "reports"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Ingestor:
    def __init__(
        self,
        redis_client: Redis,
        db: ReportsDB,
        consumer: str,
        batch: int = 500,
        claim_idle_ms: int = 30_000,
    ) -> None:
        self.redis = redis_client
        self.db = db
        self.consumer = consumer
        self.batch = batch
        self.claim_idle_ms = claim_idle_ms

    async def ensure_groups(self) -> None:
        for stream in (keys.EVENTS_STREAM, keys.CASES_STREAM):
            try:
                await self.redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
            except redis.exceptions.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def _store(self, stream: str, entries: list[tuple[Any, dict[Any, Any]]]) -> int:
        if not entries:
            return 0
        if stream == keys.EVENTS_STREAM:
            batch = []
            for _id, fields in entries:
                raw = fields.get(b"event", fields.get("event"))
                try:
                    batch.append(Event.from_json(raw if raw is not None else ""))
                except (ValueError, KeyError, TypeError):
                    log.warning("reports: unreadable event entry %s skipped", _text(_id))
            stored = await self.db.run(self.db.add_events, batch)
        else:
            rows = []
            for _id, fields in entries:
                case_id = _text(fields.get(b"case_id", fields.get("case_id", "")))
                raw = await self.redis.hgetall(keys.case(case_id))
                record = {_text(k): _text(v) for k, v in raw.items()}
                if not record:
                    log.warning("reports: case %s expired before ingestion", case_id)
                    continue
                rows.append(self.db.case_row(record, "live"))
            stored = await self.db.run(self.db.upsert_cases, rows)
            await keyword_store.capture_quietly(self.redis, self.db, rows)  # shopper's words
        await self.redis.xack(stream, GROUP, *[entry_id for entry_id, _ in entries])
        return int(stored)

    async def claim_stale(self) -> int:
        """Takes over entries another consumer read but never acknowledged."""
        done = 0
        for stream in (keys.EVENTS_STREAM, keys.CASES_STREAM):
            start = "0-0"
            while True:
                reply = await self.redis.xautoclaim(
                    stream, GROUP, self.consumer, self.claim_idle_ms, start, count=self.batch
                )
                start, entries = _text(reply[0]), reply[1]
                entries = [(i, f) for i, f in entries if f]  # deleted entries come back empty
                done += await self._store(stream, entries)
                if start == "0-0":
                    break
        return done

    async def step(self, block_ms: int | None = 1000) -> int:
        """One read of both streams (new entries for this group); returns entries handled."""
        reply = await self.redis.xreadgroup(
            GROUP,
            self.consumer,
            {keys.EVENTS_STREAM: ">", keys.CASES_STREAM: ">"},
            count=self.batch,
            block=block_ms,
        )
        done = 0
        # events first: a close's case refers to events of the same conversation
        for stream, entries in sorted(reply or [], key=lambda s: _text(s[0]) != keys.EVENTS_STREAM):
            await self._store(_text(stream), list(entries))
            done += len(entries)
        return done

    async def drain(self) -> int:
        """Reads until both streams have nothing new (tests, benches); returns entries."""
        await self.ensure_groups()
        await self.claim_stale()
        total = 0
        while got := await self.step(block_ms=None):
            total += got
        return total


async def ingest_loop(
    redis_client: Redis, db: ReportsDB, consumer: str, claim_every_s: float = 30.0
) -> None:
    """Runs until cancelled; survives Redis restarts and database errors with backoff."""
    ingestor = Ingestor(redis_client, db, consumer)
    delay = 0.2
    loop = asyncio.get_running_loop()
    next_claim = 0.0
    while True:
        try:
            await ingestor.ensure_groups()
            while True:
                if loop.time() >= next_claim:
                    await ingestor.claim_stale()
                    next_claim = loop.time() + claim_every_s
                await ingestor.step()
                delay = 0.2
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Redis down, database locked...: retry, never die
            log.warning("reports ingestion paused (%s); retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay * (0.5 + random.random() / 2))
            delay = min(delay * 2, 10.0)
