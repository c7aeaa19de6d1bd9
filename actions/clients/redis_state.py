"""Case records and verification rate limits: Redis when REDIS_URL is set, memory otherwise.

Keys (all here): xb:case:seq (counter), xb:case:{id} (hash), xb:cases (stream of case ids),
xb:verify:fail:{scope} (failure counter with TTL).
"""

from __future__ import annotations

import json
import os
import time
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any

CASE_SEQ = "xb:case:seq"
CASES_STREAM = "xb:cases"
LOCK_SECONDS = 900
MAX_FAILURES = 5


def case_key(case_id: str) -> str:
    return f"xb:case:{case_id}"


def fail_key(scope: str) -> str:
    return f"xb:verify:fail:{scope}"


class ActionState(ABC):
    @abstractmethod
    def record_case(self, case: dict[str, Any]) -> str: ...

    @abstractmethod
    def get_case(self, case_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def add_failure(self, scope: str) -> int: ...

    @abstractmethod
    def failures(self, scope: str) -> int: ...

    @abstractmethod
    def clear_failures(self, scope: str) -> None: ...

    def locked(self, *scopes: str) -> bool:
        return any(self.failures(s) >= MAX_FAILURES for s in scopes)


class MemoryState(ActionState):
    def __init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.fails: dict[str, tuple[int, float]] = {}

    def record_case(self, case: dict[str, Any]) -> str:
        case_id = f"C-{len(self.cases) + 1:06d}"
        self.cases[case_id] = {**case, "case_id": case_id, "created_at": time.time()}
        return case_id

    def get_case(self, case_id: str) -> dict[str, Any] | None:
        return self.cases.get(case_id)

    def add_failure(self, scope: str) -> int:
        count, expires = self.fails.get(scope, (0, 0.0))
        count = count + 1 if expires > time.time() else 1
        self.fails[scope] = (count, time.time() + LOCK_SECONDS)
        return count

    def failures(self, scope: str) -> int:
        count, expires = self.fails.get(scope, (0, 0.0))
        return count if expires > time.time() else 0

    def clear_failures(self, scope: str) -> None:
        self.fails.pop(scope, None)


class RedisState(ActionState):
    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, decode_responses=True)

    def record_case(self, case: dict[str, Any]) -> str:
        case_id = f"C-{self.redis.incr(CASE_SEQ):06d}"
        record = {k: json.dumps(v) if isinstance(v, (dict, list)) else str(v)
                  for k, v in {**case, "case_id": case_id, "created_at": time.time()}.items()
                  if v is not None}
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(case_key(case_id), mapping=record)
        pipe.xadd(CASES_STREAM, {"case_id": case_id})
        pipe.execute()
        return case_id

    def get_case(self, case_id: str) -> dict[str, Any] | None:
        return self.redis.hgetall(case_key(case_id)) or None

    def add_failure(self, scope: str) -> int:
        pipe = self.redis.pipeline(transaction=True)
        pipe.incr(fail_key(scope))
        pipe.expire(fail_key(scope), LOCK_SECONDS)
        count, _ = pipe.execute()
        return int(count)

    def failures(self, scope: str) -> int:
        return int(self.redis.get(fail_key(scope)) or 0)

    def clear_failures(self, scope: str) -> None:
        self.redis.delete(fail_key(scope))


@lru_cache(maxsize=1)
def state() -> ActionState:
    url = os.environ.get("REDIS_URL")
    return RedisState(url) if url else MemoryState()
