"""The human queue, assignment and agent presence in Redis — one storage class.

A queued chat is a member of the sorted set keys.QUEUE scored by priority rank * 1e10 +
queued_at, so ZRANGE gives "priority first, then longest wait". Its handoff fields
(mode, priority, team, queued_at, sla_due, owner, ...) live in the conversation hash
next to the transcript meta. Every state change that two gateways or two agents could
race on is one Lua script: claiming, releasing, transferring, closing, handing back.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from handoff import events, keys
from handoff.routing import lua
from handoff.routing.config import HandoffConfig, load_config

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3, "none": 3}


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass
class QueueItem:
    conversation_id: str
    meta: dict[str, str]
    now: float
    position: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        m = self.meta
        queued_at = float(m.get("queued_at") or self.now)
        sla_due = float(m.get("sla_due") or self.now)
        first = float(m["first_response_at"]) if m.get("first_response_at") else None
        escalation = json.loads(m.get("escalation") or "{}")
        recent = json.loads(m.get("recent_texts") or "[]")
        value = m.get("order_value_usd")
        return {
            "conversation_id": self.conversation_id,
            "position": self.position,
            "mode": m.get("mode", "bot"),
            "priority": m.get("priority", "normal"),
            "reasons": escalation.get("reasons", []),
            "score": escalation.get("score"),
            "language": m.get("language"),
            "country": m.get("country"),
            "order_id": m.get("order_id"),
            "order_value_usd": float(value) if value not in (None, "", "None") else None,
            "customer_tier": m.get("customer_tier"),
            "team": m.get("team", "general"),
            "owner": m.get("owner"),
            "owner_name": m.get("owner_name"),
            "queued_at": queued_at,
            "waiting_s": round(self.now - queued_at, 1),
            "sla_due": sla_due,
            "sla_remaining_s": round(sla_due - self.now, 1),
            "breached": (first or self.now) > sla_due,
            "first_response_at": first,
            "last_text": m.get("last_text") or (recent[-1] if recent else ""),
            **self.extra,
        }


class HandoffStore:
    def __init__(self, redis: Redis, config: HandoffConfig | None = None) -> None:
        self.redis = redis
        self.config = config or load_config()
        self._enqueue = redis.register_script(lua.ENQUEUE)
        self._claim = redis.register_script(lua.CLAIM)
        self._requeue = redis.register_script(lua.REQUEUE)
        self._transfer = redis.register_script(lua.TRANSFER)
        self._finish = redis.register_script(lua.FINISH)

    async def _changed(self, conv_id: str = "") -> None:
        await self.redis.publish(keys.QUEUE_CHANNEL, conv_id)

    # --- shopper side ---
    async def enqueue(
        self, conv_id: str, escalation: dict[str, Any], team: str, now: float | None = None
    ) -> int:
        """Queue the chat (or raise its priority if already queued). Returns its position,
        or -1 when an agent already has it."""
        now = time.time() if now is None else now
        priority = escalation.get("priority") or "normal"
        if priority not in self.config.sla_s:
            priority = "normal"
        status, position = await self._enqueue(
            keys=[keys.conversation(conv_id), keys.QUEUE],
            args=[
                conv_id,
                f"{now:.3f}",
                PRIORITY_RANK[priority],
                priority,
                json.dumps(escalation, ensure_ascii=False),
                team,
                self.config.sla_s[priority],
            ],
        )
        await self._changed(conv_id)
        return int(position) if int(status) == 1 else -1

    async def position(self, conv_id: str) -> int | None:
        rank = await self.redis.zrank(keys.QUEUE, conv_id)
        return None if rank is None else int(rank) + 1

    async def expected_wait_s(self, position: int, now: float | None = None) -> float:
        """Median recent wait per chat ahead, spread over the agents who are available."""
        raw = [float(_s(x)) for x in await self.redis.lrange(keys.WAITS, 0, 19)]
        per_chat = sorted(raw)[len(raw) // 2] if raw else self.config.default_handle_s
        free = max(1, len(await self.available_agents(now)))
        return max(per_chat, 30.0) * max(1, -(-position // free))

    # --- agent side ---
    async def claim(self, conv_id: str, login: str, name: str, now: float | None = None) -> bool:
        """Exactly one of any number of concurrent claims on a queued chat wins."""
        won = await self._claim(
            keys=[keys.conversation(conv_id), keys.QUEUE, keys.agent_chats(login), keys.WAITS],
            args=[conv_id, login, name, f"{time.time() if now is None else now:.3f}"],
        )
        if won:
            await self._changed(conv_id)
        return bool(won)

    async def release(self, conv_id: str, login: str = "", team: str = "") -> bool:
        """Back to the queue at its old place; `login` must own it ('' = any owner)."""
        owner = login or _s(await self.redis.hget(keys.conversation(conv_id), "owner") or "")
        if not owner:
            return False
        done = await self._requeue(
            keys=[keys.conversation(conv_id), keys.QUEUE, keys.agent_chats(owner)],
            args=[conv_id, login, team],
        )
        if done:
            await self._changed(conv_id)
        return bool(done)

    async def transfer_to_agent(
        self, conv_id: str, login: str, to_login: str, to_name: str
    ) -> bool:
        done = await self._transfer(
            keys=[keys.conversation(conv_id), keys.agent_chats(login), keys.agent_chats(to_login)],
            args=[conv_id, login, to_login, to_name],
        )
        if done:
            await self.redis.publish(
                keys.agent_channel(to_login),
                json.dumps({"event": events.ASSIGNED, "conversation_id": conv_id, "by": login}),
            )
            await self._changed(conv_id)
        return bool(done)

    async def finish(self, conv_id: str, login: str) -> bool:
        """Close or hand back: the agent lets go and the bot answers again."""
        done = await self._finish(
            keys=[keys.conversation(conv_id), keys.agent_chats(login), keys.QUEUE],
            args=[conv_id, login],
        )
        if done:
            await self._changed(conv_id)
        return bool(done)

    async def first_response(self, conv_id: str, now: float | None = None) -> None:
        await self.redis.hsetnx(
            keys.conversation(conv_id),
            "first_response_at",
            f"{time.time() if now is None else now:.3f}",
        )

    # --- views ---
    async def _metas(self, conv_ids: list[str]) -> list[dict[str, str]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for conv_id in conv_ids:
                pipe.hgetall(keys.conversation(conv_id))
            raw = await pipe.execute()
        return [{_s(k): _s(v) for k, v in r.items()} for r in raw]

    async def queued(self, now: float | None = None, limit: int = 200) -> list[dict[str, Any]]:
        now = time.time() if now is None else now
        ids = [_s(x) for x in await self.redis.zrange(keys.QUEUE, 0, limit - 1)]
        return [
            QueueItem(c, m, now, i + 1).as_dict()
            for i, (c, m) in enumerate(zip(ids, await self._metas(ids), strict=True))
        ]

    async def owned(self, login: str, now: float | None = None) -> list[dict[str, Any]]:
        now = time.time() if now is None else now
        ids = sorted(_s(x) for x in await self.redis.smembers(keys.agent_chats(login)))
        metas = await self._metas(ids)
        return [QueueItem(c, m, now).as_dict() for c, m in zip(ids, metas, strict=True)]

    # --- presence ---
    async def heartbeat(self, login: str, now: float | None = None) -> None:
        await self.redis.zadd(keys.AGENTS_ONLINE, {login: time.time() if now is None else now})

    async def set_status(self, login: str, status: str, now: float | None = None) -> None:
        if status not in ("available", "away"):
            raise ValueError(f"status is available or away, not {status!r}")
        now = time.time() if now is None else now
        await self.redis.hset(
            keys.agent_state(login), mapping={"status": status, "status_at": f"{now:.3f}"}
        )
        await self.heartbeat(login, now)
        await self._changed()

    async def status(self, login: str) -> dict[str, str]:
        raw = await self.redis.hgetall(keys.agent_state(login))
        return {_s(k): _s(v) for k, v in raw.items()} or {"status": "away"}

    async def available_agents(self, now: float | None = None) -> list[str]:
        """Logins with a live socket (heartbeat within the grace period) set available."""
        now = time.time() if now is None else now
        logins = [
            _s(x)
            for x in await self.redis.zrangebyscore(
                keys.AGENTS_ONLINE, now - self.config.grace_s, "+inf"
            )
        ]
        out = []
        for login in logins:
            if (await self.status(login)).get("status") == "available":
                out.append(login)
        return out

    async def sweep(self, now: float | None = None) -> list[tuple[str, str]]:
        """Chats of agents who went away or lost their connection more than the grace
        period ago go back to the queue. Safe to run on every gateway at once."""
        now = time.time() if now is None else now
        grace = self.config.grace_s
        requeued: list[tuple[str, str]] = []
        for raw_login, seen in await self.redis.zrange(keys.AGENTS_ONLINE, 0, -1, withscores=True):
            login = _s(raw_login)
            state = await self.status(login)
            gone = float(seen) < now - grace
            away = (
                state.get("status") == "away" and float(state.get("status_at") or 0) < now - grace
            )
            if not (gone or away):
                continue
            for conv in [_s(x) for x in await self.redis.smembers(keys.agent_chats(login))]:
                if await self.release(conv, login):
                    requeued.append((conv, login))
            if gone:
                await self.redis.zrem(keys.AGENTS_ONLINE, login)
        return requeued
