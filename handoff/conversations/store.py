"""Conversations in Redis: the typed record, ordered transcripts, pub/sub fan-out."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from redis.asyncio import Redis

from handoff import keys
from handoff.conversations.model import Conversation, fields
from handoff.errors import Forbidden

# Append one transcript entry atomically: number it, store it, index the conversation and
# publish it, so every gateway's sockets see entries in the same order exactly once.
# ARGV: now, conv_id, meta fields as one JSON object ("{}" for none), retention seconds
# (0 = keep forever), the order id to index ("" for none), then one JSON entry per
# argument. Every append pushes the expiry of the conversation's keys back and forgets
# index entries older than the retention. The order -> conversation index (KEYS[6], where
# notices go) is written once per (order, conversation): the hash remembers which order
# it indexed (`order_indexed`), so the turns after the order was verified write nothing
# (unless the index expired meanwhile: then it is written again).
_APPEND = """
local out = {}
local meta = cjson.decode(ARGV[3])
for k, v in pairs(meta) do redis.call('HSET', KEYS[3], k, v) end
if ARGV[5] ~= '' and (redis.call('HGET', KEYS[3], 'order_indexed') ~= ARGV[5]
                      or redis.call('EXISTS', KEYS[6]) == 0) then
  if tonumber(ARGV[4]) > 0 then
    redis.call('SET', KEYS[6], ARGV[2], 'EX', ARGV[4])
  else
    redis.call('SET', KEYS[6], ARGV[2])
  end
  redis.call('HSET', KEYS[3], 'order_indexed', ARGV[5])
end
for i = 6, #ARGV do
  local seq = redis.call('INCR', KEYS[1])
  local entry = cjson.decode(ARGV[i])
  entry['seq'] = seq
  local s = cjson.encode(entry)
  redis.call('RPUSH', KEYS[2], s)
  redis.call('PUBLISH', KEYS[5], s)
  out[#out + 1] = s
end
redis.call('HSET', KEYS[3], 'updated_at', ARGV[1])
redis.call('HSETNX', KEYS[3], 'created_at', ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[1], ARGV[2])
if tonumber(ARGV[4]) > 0 then
  for k = 1, 3 do redis.call('EXPIRE', KEYS[k], ARGV[4]) end
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[4]))
end
return out
"""


# Open a conversation for a shopper: a new one gets the hash of its token (and the expiry),
# an existing one answers the stored hash ("" when it has none: made by a server-side
# channel such as email, or before tokens existed, so no shopper client can take it over).
# ARGV: token hash, retention seconds (0 = keep forever).
_OPEN = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'token_hash', ARGV[1])
  if tonumber(ARGV[2]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
  return 1
end
return redis.call('HGET', KEYS[1], 'token_hash') or ''
"""
SECRET_FIELDS = frozenset({"token_hash"})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class ConversationStore:
    def __init__(self, redis: Redis, retention_s: float = 90 * 86400) -> None:
        self.redis = redis
        self.retention_s = int(retention_s)  # every append pushes the expiry back
        self._append = redis.register_script(_APPEND)
        self._open = redis.register_script(_OPEN)

    async def open_for_shopper(self, conv_id: str, token: str | None) -> str | None:
        """The shopper's right to this conversation: a new conversation is theirs and gets
        a token (returned, shown once; only its hash is stored); an existing one needs the
        token it was given. Raises `Forbidden` otherwise."""
        issued = secrets.token_urlsafe(24)
        stored = await self._open(
            keys=[keys.conversation(conv_id)], args=[_digest(issued), self.retention_s]
        )
        if stored == 1:
            return issued
        stored = stored.decode() if isinstance(stored, bytes) else str(stored)
        if not token:
            raise Forbidden(
                "conversation_token_required",
                "this conversation exists: send the token it was given when it started",
            )
        if not stored or not hmac.compare_digest(stored, _digest(token)):
            raise Forbidden("bad_conversation_token", "this token does not open this conversation")
        return None

    async def append(self, conv_id: str, entry: dict[str, Any]) -> dict[str, Any]:
        return (await self.append_many(conv_id, [entry]))[0]

    async def append_many(
        self, conv_id: str, entries: list[dict[str, Any]], meta: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Number, store and publish entries and update meta fields in one round trip."""
        now = time.time()
        clean_meta = fields(**(meta or {}))
        payloads = [json.dumps({**e, "at": now}, ensure_ascii=False) for e in entries]
        order_id = str(clean_meta.get("order_id") or "")  # notices about it go here
        raw = await self._append(
            keys=[
                keys.seq(conv_id),
                keys.transcript(conv_id),
                keys.conversation(conv_id),
                keys.CONVERSATIONS,
                keys.channel(conv_id),
                keys.order_conversation(order_id),
            ],
            args=[now, conv_id, json.dumps(clean_meta), self.retention_s, order_id, *payloads],
        )
        return [json.loads(x) for x in raw]

    async def publish(self, conv_id: str, event: str, **fields: Any) -> None:
        """An ephemeral event (typing, mode change) to every socket of the chat."""
        await self.redis.publish(
            keys.channel(conv_id), json.dumps({"event": event, **fields}, ensure_ascii=False)
        )

    async def history(self, conv_id: str, after_seq: int = 0) -> list[dict[str, Any]]:
        raw = await self.redis.lrange(keys.transcript(conv_id), 0, -1)
        entries = [json.loads(x) for x in raw]
        return [e for e in entries if int(e.get("seq", 0)) > after_seq]

    async def meta(self, conv_id: str) -> dict[str, str]:
        raw = await self.redis.hgetall(keys.conversation(conv_id))
        out = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in raw.items()
        }
        return {k: v for k, v in out.items() if k not in SECRET_FIELDS}

    async def claim_client_id(self, conv_id: str, client_id: str | None) -> int | None:
        """None when this client message id is new (now reserved); else the seq it was
        stored under (0 while another connection is still storing it)."""
        if not client_id:
            return None
        key = keys.client_message(conv_id, client_id)
        if await self.redis.set(key, "0", nx=True, ex=86400):
            return None
        return int(await self.redis.get(key) or 0)

    async def remember_client_id(self, conv_id: str, client_id: str | None, seq: int) -> None:
        if client_id:
            await self.redis.set(keys.client_message(conv_id, client_id), str(seq), ex=86400)

    async def count_tracker_event(self, conv_id: str) -> None:
        """An event written to the conversation's Rasa tracker outside a bot turn (an agent's
        reply): counted towards the tracker's rotation (conversations.rasa_turn)."""
        await self.redis.hincrby(keys.conversation(conv_id), "rasa_turns", 1)

    async def get(self, conv_id: str) -> Conversation:
        """The typed record (a fresh one, mode bot, when the conversation is new)."""
        return Conversation.from_hash(conv_id, await self.meta(conv_id))

    async def exists(self, conv_id: str) -> bool:
        return bool(await self.redis.exists(keys.conversation(conv_id)))
