"""One-per-deployment background jobs: a Redis lease and the loop every gateway runs.

Every gateway runs the loop; only the holder of the lease does the work. The lease is a key
set with NX and a TTL of three periods, renewed by its holder only (compare-and-expire), so
a dead leader is replaced within `every_s * 3`. The notice watcher and the alert watcher use
it; what they do must still be safe if two leaders overlap for a moment (each claims its
own items with SET NX or an INSERT).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

# Renew the lease only if it is still ours (compare-and-expire).
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class Lease:
    def __init__(
        self, redis: Redis, key: str, instance: str, every_s: float, min_ttl_ms: int = 0
    ) -> None:
        self.redis, self.key, self.instance = redis, key, instance
        self.ttl_ms = max(min_ttl_ms, int(every_s * 3000))
        self._renew = redis.register_script(_RENEW)

    async def held(self) -> bool:
        """True while this gateway is the one that works (taking the lease if it is free)."""
        if await self.redis.set(self.key, self.instance, nx=True, px=self.ttl_ms):
            return True
        return bool(await self._renew(keys=[self.key], args=[self.instance, self.ttl_ms]))


async def run_as_leader(
    lease: Lease,
    work: Callable[[], Awaitable[object]],
    every_s: float,
    log: logging.Logger,
    label: str,
) -> None:
    """Forever: while holding the lease, `work()` every `every_s`. Redis trouble backs off
    (capped, jittered); any other error is logged and the next period tries again, so one
    bad pass never ends the job for good."""
    failures = 0
    while True:
        try:
            if await lease.held():
                await work()
            failures = 0
            await asyncio.sleep(every_s)
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError):
            failures += 1
            delay = random.uniform(0, min(30.0, 0.5 * 2**failures))
            log.warning(f"{label}_retry", extra={"in_s": round(delay, 1)})
            await asyncio.sleep(delay)
        except Exception:
            log.exception(f"{label}_failed")
            await asyncio.sleep(every_s)
