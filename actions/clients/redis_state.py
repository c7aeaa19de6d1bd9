"""Case records and verification rate limits: Redis when REDIS_URL is set, memory otherwise.

Cases are written by `handoff.cases.writer` (the one writer); key names come from
`handoff.keys`.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from handoff import keys
from handoff.cases.schema import Case, case_id_for, encode
from handoff.cases.writer import SyncCaseWriter
from shop.coupons import Coupon, CouponBook

# Verification failures are counted in sliding windows per scope kind: the attacker's own
# scopes (this conversation, this client address) lock; the global scopes (one order
# number, one email, whoever tries them) never lock the owner out - a right pair always
# gets in - but once one is over its limit, every further wrong guess on it locks the
# guessing client at once (resolve_order in actions/base.py).
WINDOWS: dict[str, tuple[int, int]] = {  # scope kind -> (failures allowed, window seconds)
    "conv": (5, 900),
    "client": (20, 3600),
    "order": (10, 3600),
    "email": (10, 3600),
}
LOCK_SECONDS = WINDOWS["conv"][1]
MAX_FAILURES = WINDOWS["conv"][0]


def limits(scope: str) -> tuple[int, int]:
    return WINDOWS.get(scope.split(":", 1)[0], WINDOWS["conv"])


def scope_key(scope: str) -> str:
    """Emails and addresses are personal data: key names carry a digest, not the value."""
    kind, _, value = scope.partition(":")
    return keys.verify_window(f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:24]}")


class ActionState(ABC):
    clock: Callable[[], float] = staticmethod(time.time)

    @abstractmethod
    def record_case(self, case: Case) -> str: ...

    @abstractmethod
    def get_case(self, case_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def add_failure(self, scope: str, weight: int = 1) -> int:
        """Count `weight` failures now; the scope's failures inside its window after it."""

    @abstractmethod
    def failures(self, scope: str) -> int: ...

    @abstractmethod
    def clear_failures(self, scope: str) -> None: ...

    def over_limit(self, scope: str) -> bool:
        return self.failures(scope) >= limits(scope)[0]

    def locked(self, *scopes: str) -> bool:
        return any(self.over_limit(s) for s in scopes)

    def lock_minutes(self, *scopes: str) -> int:
        """How long the longest lock on these scopes lasts (what the shopper is told)."""
        windows = [limits(s)[1] for s in scopes if self.over_limit(s)]
        return max(windows, default=LOCK_SECONDS) // 60

    def lock(self, scope: str) -> None:
        """Fill the scope's window: locked for the whole window from now."""
        missing = limits(scope)[0] - self.failures(scope)
        if missing > 0:
            self.add_failure(scope, missing)


class MemoryState(ActionState):
    def __init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.fails: dict[str, list[float]] = {}

    def record_case(self, case: Case) -> str:
        case_id = case_id_for(len(self.cases) + 1)
        self.cases[case_id] = encode(case, case_id)
        return case_id

    def get_case(self, case_id: str) -> dict[str, Any] | None:
        return self.cases.get(case_id)

    def _recent(self, scope: str) -> list[float]:
        since = self.clock() - limits(scope)[1]
        recent = [t for t in self.fails.get(scope, []) if t > since]
        self.fails[scope] = recent
        return recent

    def add_failure(self, scope: str, weight: int = 1) -> int:
        recent = self._recent(scope)
        recent.extend([self.clock()] * weight)
        return len(recent)

    def failures(self, scope: str) -> int:
        return len(self._recent(scope))

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

    def add_failure(self, scope: str, weight: int = 1) -> int:
        key, (_, window) = scope_key(scope), limits(scope)
        now = self.clock()
        pipe = self.redis.pipeline(transaction=True)
        pipe.zadd(key, {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now for _ in range(weight)})
        pipe.zremrangebyscore(key, "-inf", now - window)
        pipe.zcard(key)
        pipe.expire(key, window)
        _, _, count, _ = pipe.execute()
        return int(count)

    def failures(self, scope: str) -> int:
        window = limits(scope)[1]
        return int(self.redis.zcount(scope_key(scope), self.clock() - window, "+inf"))

    def clear_failures(self, scope: str) -> None:
        self.redis.delete(scope_key(scope))


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
