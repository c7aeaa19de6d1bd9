"""All gateway access to Redis: conversation metadata, ordered transcripts, pub/sub fan-out."""

from __future__ import annotations

import json
import time
from typing import Any

from redis.asyncio import Redis

from handoff import keys

# Append one transcript entry atomically: number it, store it, index the conversation and
# publish it, so every gateway's sockets see entries in the same order exactly once.
_APPEND = """
local seq = redis.call('INCR', KEYS[1])
local entry = cjson.decode(ARGV[1])
entry['seq'] = seq
local s = cjson.encode(entry)
redis.call('RPUSH', KEYS[2], s)
redis.call('HSET', KEYS[3], 'updated_at', ARGV[2])
redis.call('HSETNX', KEYS[3], 'created_at', ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[3])
redis.call('PUBLISH', KEYS[5], s)
return s
"""


class ConversationStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._append = redis.register_script(_APPEND)

    async def append(self, conv_id: str, entry: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        payload = json.dumps({**entry, "at": now}, ensure_ascii=False)
        raw = await self._append(
            keys=[keys.seq(conv_id), keys.transcript(conv_id), keys.conversation(conv_id),
                  keys.CONVERSATIONS, keys.channel(conv_id)],
            args=[payload, now, conv_id])
        return json.loads(raw)

    async def history(self, conv_id: str, after_seq: int = 0) -> list[dict[str, Any]]:
        raw = await self.redis.lrange(keys.transcript(conv_id), 0, -1)
        entries = [json.loads(x) for x in raw]
        return [e for e in entries if int(e.get("seq", 0)) > after_seq]

    async def meta(self, conv_id: str) -> dict[str, str]:
        raw = await self.redis.hgetall(keys.conversation(conv_id))
        return {(k.decode() if isinstance(k, bytes) else k):
                (v.decode() if isinstance(v, bytes) else v) for k, v in raw.items()}

    async def set_meta(self, conv_id: str, **fields: Any) -> None:
        clean = {k: (json.dumps(v) if isinstance(v, (dict, list)) else str(v))
                 for k, v in fields.items() if v is not None}
        if clean:
            await self.redis.hset(keys.conversation(conv_id), mapping=clean)

    async def exists(self, conv_id: str) -> bool:
        return bool(await self.redis.exists(keys.conversation(conv_id)))
