"""Email threads in Redis: which conversation a Message-ID belongs to, the thread's address
and subject, the originals as received, and the once-only claim on sending an entry."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from redis.asyncio import Redis

from handoff import keys
from handoff.channels.email.parse import InboundMail


def customer_token(email: str, secret: str, ttl_s: int = 3600) -> str:
    """The storefront's signed token format ('email|expiry|hexsig') for the sender's
    address: the action server then treats the address as proven, as it does for a
    logged-in storefront shopper. Without a secret there is no token (no verification)."""
    if not secret or not email:
        return ""
    body = f"{email.lower()}|{int(time.time()) + ttl_s}"
    signature = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}|{signature}"


def _text(value: bytes | str | None) -> str:
    return value.decode() if isinstance(value, bytes) else (value or "")


class Threads:
    def __init__(self, redis: Redis, ttl_s: int) -> None:
        self.redis = redis
        self.ttl_s = max(60, int(ttl_s))

    async def conversation_for(self, mail: InboundMail) -> str | None:
        """The conversation this mail continues: one of its referenced Message-IDs is
        ours and the thread belongs to the same sender (else it starts a new one)."""
        for message_id in mail.thread_ids:
            conv_id = _text(await self.redis.get(keys.email_thread(message_id)))
            if conv_id and (await self.record(conv_id)).get("address") == mail.sender:
                return conv_id
        return None

    async def remember(self, message_id: str, conv_id: str) -> None:
        if message_id:
            await self.redis.set(keys.email_thread(message_id), conv_id, ex=self.ttl_s)

    async def record(self, conv_id: str) -> dict[str, str]:
        raw = await self.redis.hgetall(keys.email_conversation(conv_id))
        return {_text(k): _text(v) for k, v in raw.items()}

    async def is_email(self, conv_id: str) -> bool:
        return bool(await self.redis.sismember(keys.EMAIL_CONVERSATIONS, conv_id))

    async def open(
        self, conv_id: str, address: str, subject: str, message_id: str, refs: tuple[str, ...]
    ) -> None:
        """Start or continue the thread record; `message_id` is the newest mail in it."""
        current = await self.record(conv_id)
        old_refs = json.loads(current.get("references") or "[]")
        merged = list(dict.fromkeys([*old_refs, *refs, *([message_id] if message_id else [])]))
        fields = {
            "address": address,
            "subject": current.get("subject") or subject,
            "last_message_id": message_id or current.get("last_message_id", ""),
            "references": json.dumps(merged[-20:]),
        }
        key = keys.email_conversation(conv_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.expire(key, self.ttl_s)
            pipe.sadd(keys.EMAIL_CONVERSATIONS, conv_id)
            await pipe.execute()

    async def sent(self, conv_id: str, message_id: str) -> None:
        """Our outbound mail joins the thread: replies to it come back here."""
        await self.remember(message_id.strip("<>"), conv_id)
        current = await self.record(conv_id)
        refs = json.loads(current.get("references") or "[]")
        refs.append(message_id.strip("<>"))
        fields = {"references": json.dumps(refs[-20:])}
        if not current.get("last_message_id"):  # a thread we started: answer our own mail
            fields["last_message_id"] = message_id.strip("<>")
        await self.redis.hset(keys.email_conversation(conv_id), mapping=fields)

    async def keep_original(self, conv_id: str, mail: InboundMail) -> list[dict[str, Any]]:
        """The mail as received (whole text, files) for the agent; returns file records."""
        files: list[dict[str, Any]] = []
        async with self.redis.pipeline(transaction=False) as pipe:
            for n, att in enumerate(mail.attachments):
                file_id = f"{hashlib.sha1(mail.message_id.encode()).hexdigest()[:10]}-{n}"
                pipe.set(keys.email_attachment(conv_id, file_id), att.data, ex=self.ttl_s)
                files.append(
                    {"id": file_id, "name": att.filename, "type": att.content_type,
                     "size": att.size}
                )  # fmt: skip
            record = {
                "message_id": mail.message_id,
                "from": mail.sender,
                "subject": mail.subject,
                "original": mail.original[:100_000],
                "text": mail.text[:100_000],  # what the shopper wrote now (quotes cut)
                "html": mail.html[:200_000],
                "html_only": mail.html_only,
                "attachments": files,
                "refused": [
                    {"name": r.filename, "type": r.content_type, "size": r.size, "reason": r.reason}
                    for r in mail.refused
                ],  # fmt: skip
                "at": time.time(),
            }
            pipe.rpush(keys.email_originals(conv_id), json.dumps(record, ensure_ascii=False))
            pipe.ltrim(keys.email_originals(conv_id), -200, -1)
            pipe.expire(keys.email_originals(conv_id), self.ttl_s)
            await pipe.execute()
        return files

    async def originals(self, conv_id: str) -> list[dict[str, Any]]:
        raw = await self.redis.lrange(keys.email_originals(conv_id), 0, -1)
        return [json.loads(x) for x in raw]

    async def claim_send(self, conv_id: str, seq: int) -> bool:
        """True for exactly one gateway per transcript entry."""
        return bool(await self.redis.set(keys.email_sent(conv_id, seq), "1", nx=True, ex=86400))
