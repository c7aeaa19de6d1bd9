"""The one writer of case records: a hash per case plus the stream reports read, atomically.

`CaseWriter` serves the gateway (asyncio Redis), `SyncCaseWriter` the action server (Rasa's
actions are synchronous); both write `handoff.cases.schema.encode(...)` under the same keys.
"""

from __future__ import annotations

import os
from typing import Any

import redis
from redis.asyncio import Redis

from handoff import keys
from handoff.cases.schema import Case, case_id_for, encode


def case_retention_s() -> int:
    """Cases are what reports are made of: kept much longer than conversations."""
    return int(float(os.environ.get("CASE_RETENTION_DAYS", "1095")) * 86400)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class CaseWriter:
    def __init__(self, redis_client: Redis) -> None:
        self.redis = redis_client

    async def record(self, case: Case, now: float | None = None) -> str:
        case_id = case_id_for(int(await self.redis.incr(keys.CASE_SEQ)))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.case(case_id), mapping=encode(case, case_id, now))  # type: ignore[arg-type]
            pipe.expire(keys.case(case_id), case_retention_s())
            pipe.xadd(keys.CASES_STREAM, {"case_id": case_id})
            await pipe.execute()
        return case_id

    async def get(self, case_id: str) -> dict[str, str]:
        raw = await self.redis.hgetall(keys.case(case_id))
        return {_text(k): _text(v) for k, v in raw.items()}


class SyncCaseWriter:
    def __init__(self, redis_client: redis.Redis) -> None:
        self.redis = redis_client

    def record(self, case: Case, now: float | None = None) -> str:
        case_id = case_id_for(int(self.redis.incr(keys.CASE_SEQ)))  # type: ignore[arg-type]
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(keys.case(case_id), mapping=encode(case, case_id, now))  # type: ignore[arg-type]
        pipe.expire(keys.case(case_id), case_retention_s())
        pipe.xadd(keys.CASES_STREAM, {"case_id": case_id})
        pipe.execute()
        return case_id

    def get(self, case_id: str) -> dict[str, str] | None:
        raw = self.redis.hgetall(keys.case(case_id))
        return {_text(k): _text(v) for k, v in raw.items()} or None  # type: ignore[union-attr]
