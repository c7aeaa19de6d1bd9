"""Review inbox: live shopper messages the bot was unsure about, grouped for a trainer.

A message is kept when the intent confidence is below the threshold, the NLU fell back,
or the message led to an escalation. Items live in Redis (a sorted set by time plus one
JSON string per item that expires after 30 days); the newest `MAX_ITEMS` are kept.
Grouping is done when the inbox is read: character 3-gram vectors (numbers, order ids and
emails masked), cosine similarity, greedy clustering newest first — "where is XB-204518"
and "where is XB-311902" land in one group.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from collections import Counter
from typing import Any

from redis.asyncio import Redis

from handoff import keys

THRESHOLD = 0.55
MAX_ITEMS = 5000
ITEM_TTL_S = 30 * 24 * 3600
SIMILAR = 0.55  # cosine of char 3-grams above which two messages share a group
MAX_TEXT = 1000
_MASKS = [
    (re.compile(r"\S+@\S+"), " @mail "),
    (re.compile(r"(?i)\bxb-?\d{4,}"), " #order "),
    (re.compile(r"\d+"), "0"),
]


def _vector(text: str) -> Counter[str]:
    norm = text.lower()
    for rx, repl in _MASKS:
        norm = rx.sub(repl, norm)
    norm = f" {' '.join(norm.split())} "
    return Counter(norm[i : i + 3] for i in range(max(1, len(norm) - 2)))


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def group(items: list[dict[str, Any]], similar: float = SIMILAR) -> list[dict[str, Any]]:
    """Greedy clusters of `items` (newest first in, newest-first groups out)."""
    groups: list[dict[str, Any]] = []
    centres: list[Counter[str]] = []
    for item in items:
        vec = _vector(item["text"])
        best, best_sim = -1, similar
        for i, centre in enumerate(centres):
            sim = _cosine(vec, centre)
            if sim >= best_sim:
                best, best_sim = i, sim
        if best < 0:
            groups.append({"id": item["id"], "items": [item]})
            centres.append(vec)
        else:
            groups[best]["items"].append(item)
    for g in groups:
        g["size"] = len(g["items"])
        g["newest_at"] = g["items"][0]["at"]
        g["languages"] = sorted({i["language"] for i in g["items"]})
        guesses = Counter(i["intent"] for i in g["items"] if i.get("intent"))
        g["bot_guess"] = guesses.most_common(1)[0][0] if guesses else None
    return groups


class Inbox:
    def __init__(
        self, redis: Redis, threshold: float = THRESHOLD, max_items: int = MAX_ITEMS
    ) -> None:
        self.redis = redis
        self.threshold = threshold
        self.max_items = max_items

    def why(self, intent: str | None, confidence: float | None, escalated: bool) -> list[str]:
        out = []
        if intent == "nlu_fallback":
            out.append("fallback")
        elif confidence is not None and confidence < self.threshold:
            out.append("low_confidence")
        if escalated:
            out.append("escalated")
        return out

    async def consider(
        self,
        *,
        conv_id: str,
        seq: int | None,
        text: str,
        language: str,
        intent: str | None,
        confidence: float | None,
        escalated: bool,
        reasons: list[str],
    ) -> bool:
        """Record the message for review when the bot was unsure or it escalated."""
        why = self.why(intent, confidence, escalated)
        if not why or not text.strip() or text.startswith("/"):  # "/" = a button payload
            return False
        item_id = uuid.uuid4().hex[:16]
        now = time.time()
        item = {
            "id": item_id,
            "conversation_id": conv_id,
            "seq": seq,
            "text": text[:MAX_TEXT],
            "language": language,
            "intent": intent,
            "confidence": round(confidence, 4) if confidence is not None else None,
            "escalated": escalated,
            "reasons": list(reasons),
            "why": why,
            "at": now,
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(
                keys.trainer_inbox_item(item_id),
                json.dumps(item, ensure_ascii=False),
                ex=ITEM_TTL_S,
            )
            pipe.zadd(keys.TRAINER_INBOX, {item_id: now})
            pipe.zremrangebyrank(keys.TRAINER_INBOX, 0, -(self.max_items + 1))
            await pipe.execute()
        return True

    async def pending(self, limit: int = 500) -> list[dict[str, Any]]:
        ids = [
            i.decode() if isinstance(i, bytes) else i
            for i in await self.redis.zrevrange(keys.TRAINER_INBOX, 0, limit - 1)
        ]
        if not ids:
            return []
        raw = await self.redis.mget([keys.trainer_inbox_item(i) for i in ids])
        gone = [i for i, r in zip(ids, raw, strict=True) if r is None]
        if gone:  # expired items: drop their ids too
            await self.redis.zrem(keys.TRAINER_INBOX, *gone)
        return [json.loads(r) for r in raw if r is not None]

    async def groups(self, limit: int = 500) -> dict[str, Any]:
        items = await self.pending(limit)
        return {
            "total": await self.redis.zcard(keys.TRAINER_INBOX),
            "threshold": self.threshold,
            "groups": group(items),
        }

    async def get(self, item_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(keys.trainer_inbox_item(item_id))
        return json.loads(raw) if raw else None

    async def resolve(
        self, item_ids: list[str], action: str, by: str, intent: str | None = None
    ) -> int:
        """Take items out of the inbox (assigned or dismissed); keeps a short audit list."""
        if not item_ids:
            return 0
        record = json.dumps(
            {"ids": item_ids, "action": action, "by": by, "intent": intent, "at": time.time()}
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(keys.TRAINER_INBOX, *item_ids)
            pipe.delete(*[keys.trainer_inbox_item(i) for i in item_ids])
            pipe.lpush(keys.TRAINER_INBOX_DONE, record)
            pipe.ltrim(keys.TRAINER_INBOX_DONE, 0, 999)
            removed, *_ = await pipe.execute()
        return int(removed)
