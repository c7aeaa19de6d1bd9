"""Case records and verification rate limits: Redis when REDIS_URL is set, memory otherwise.

Cases are written by `handoff.cases.writer` (the one writer); key names come from
`handoff.keys`.
"""

from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any

from handoff import keys
from handoff.cases.schema import Case, case_id_for, encode
from handoff.cases.writer import SyncCaseWriter
from shop.coupons import Coupon, CouponBook

LOCK_SECONDS = 900
MAX_FAILURES = 5


def fail_key(scope: str) -> str:
    return keys.verify_failures(scope)


class ActionState(ABC):
    @abstractmethod
    def record_case(self, case: Case) -> str: ...

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

    def record_case(self, case: Case) -> str:
        case_id = case_id_for(len(self.cases) + 1)
        self.cases[case_id] = encode(case, case_id)
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
        self.cases = SyncCaseWriter(self.redis)

    def record_case(self, case: Case) -> str:
        return self.cases.record(case)

    def get_case(self, case_id: str) -> dict[str, Any] | None:
        return self.cases.get(case_id)

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


class RedisCouponBook(CouponBook):
    """The sample store's recovery codes in Redis: every action server sees the same codes,
    and HSETNX on `redeemed_at` makes a code usable once however many redeem at once."""

    def __init__(self, client: Any) -> None:
        self.redis = client

    def add(self, coupon: Coupon, ttl_s: int) -> None:
        key = keys.coupon(coupon.code)
        fields = {k: str(v) for k, v in coupon.as_dict().items()}
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping=fields)
        pipe.expire(key, ttl_s)
        pipe.execute()

    def get(self, code: str) -> Coupon | None:
        raw = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in self.redis.hgetall(keys.coupon(code)).items()
        }
        return Coupon.from_dict(raw) if raw else None

    def mark_redeemed(self, code: str, at: str) -> bool:
        return bool(self.redis.hsetnx(keys.coupon(code), "redeemed_at", at))

    def first_for(self, order_id: str, tier: str) -> bool:
        key = keys.coupon_issued(order_id, tier)
        return bool(self.redis.set(key, "1", nx=True, ex=365 * 86400))


@lru_cache(maxsize=1)
def state() -> ActionState:
    url = os.environ.get("REDIS_URL")
    return RedisState(url) if url else MemoryState()
