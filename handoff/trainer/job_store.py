"""Training jobs in Redis: the one-job-at-a-time lock, job records, progress streams.

One job at a time across gateways (a Redis lock with a TTL the running job keeps
refreshing, so a crashed gateway frees it). Progress events go to a Redis stream per job;
the page reads them through Server-Sent Events from whichever gateway it talks to.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from handoff import keys
from handoff.errors import InputError

LOCK_TTL_S = 90
KEEP_JOB_S = 14 * 24 * 3600
TERMINAL = {"ready", "failed", "cancelled", "interrupted"}
JSON_FIELDS = ("languages", "result", "durations", "problems", "warnings")
_RELEASE = """if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1])
else return 0 end"""
_REFRESH = """if redis.call('get', KEYS[1]) == ARGV[1] then
return redis.call('expire', KEYS[1], ARGV[2]) else return 0 end"""

Fields = dict[str | bytes, bytes | float | int | str]


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class JobStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def create(self, langs: list[str], by: str, evaluate: Path | None) -> str:
        """Takes the lock and records a queued job (409 while another job runs)."""
        job_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
        if not await self.redis.set(keys.TRAINER_LOCK, job_id, nx=True, ex=LOCK_TTL_S):
            running = await self.lock_holder()
            raise InputError(
                409, "training_busy", f"a training is already running (job {running}); wait for it"
            )
        job: Fields = {
            "id": job_id,
            "state": "queued",
            "languages": json.dumps(langs),
            "by": by,
            "started_at": str(time.time()),
            "stage": "queued",
            "kind": "evaluate" if evaluate else "train",
        }
        if evaluate:
            job["model"] = evaluate.name
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.trainer_job(job_id), mapping=job)
            pipe.zadd(keys.TRAINER_JOBS, {job_id: time.time()})
            await pipe.execute()
        return job_id

    async def lock_holder(self) -> str:
        return _s(await self.redis.get(keys.TRAINER_LOCK) or b"")

    async def load(self, job_id: str) -> dict[str, Any] | None:
        """The job's record as stored (None: no such job)."""
        stored = await self.redis.hgetall(keys.trainer_job(job_id))
        raw = {_s(k): _s(v) for k, v in stored.items()}
        if not raw:
            return None
        job: dict[str, Any] = dict(raw)
        for field in JSON_FIELDS:
            if field in job:
                job[field] = json.loads(job[field])
        for field in ("started_at", "finished_at"):
            if field in job:
                job[field] = float(job[field])
        return job

    async def recent_ids(self, limit: int) -> list[str]:
        return [_s(i) for i in await self.redis.zrevrange(keys.TRAINER_JOBS, 0, limit - 1)]

    async def forget(self, job_id: str) -> None:
        await self.redis.zrem(keys.TRAINER_JOBS, job_id)

    async def update(self, job_id: str, fields: Fields) -> None:
        await self.redis.hset(keys.trainer_job(job_id), mapping=fields)

    async def emit(self, job_id: str, event: dict[str, Any]) -> None:
        event = {"at": round(time.time(), 3), **event}
        await self.redis.xadd(
            keys.trainer_job_events(job_id),
            {"data": json.dumps(event, ensure_ascii=False)},
            maxlen=5000,
            approximate=True,
        )

    async def stage(self, job_id: str, stage: str, message: str) -> None:
        await self.update(job_id, {"stage": stage, "state": stage})
        await self.emit(job_id, {"type": "stage", "stage": stage, "message": message})

    async def events_after(
        self, job_id: str, last_id: str, block_ms: int
    ) -> list[tuple[str, dict[str, Any]]]:
        found = await self.redis.xread(
            {keys.trainer_job_events(job_id): last_id}, count=200, block=block_ms
        )
        out = []
        for _stream, entries in found or []:
            for entry_id, fields in entries:
                data = fields.get(b"data") or fields.get("data")
                out.append((_s(entry_id), json.loads(_s(data))))
        return out

    async def keep_lock(self, job_id: str) -> None:
        """Refreshes the lock's TTL while the job runs (cancel it when the job ends)."""
        while True:
            await asyncio.sleep(LOCK_TTL_S / 3)
            await self.redis.eval(_REFRESH, 1, keys.TRAINER_LOCK, job_id, LOCK_TTL_S)

    async def finish(self, job_id: str, final: Fields, durations: dict[str, float]) -> None:
        """Records the outcome, ends the event stream, lets both expire, frees the lock."""
        final.update(
            finished_at=str(time.time()),
            durations=json.dumps(durations),
            stage=final.get("state", "failed"),
        )
        await self.update(job_id, final)
        await self.emit(job_id, {"type": "end", "state": final.get("state")})
        for key in (keys.trainer_job(job_id), keys.trainer_job_events(job_id)):
            await self.redis.expire(key, KEEP_JOB_S)
        await self.redis.eval(_RELEASE, 1, keys.TRAINER_LOCK, job_id)
