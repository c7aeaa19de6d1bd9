"""Inbound email: an SMTP listener (aiosmtpd) whose mail becomes shopper messages.

Each mail is parsed, matched to its thread (a reply continues the conversation, a new mail
starts one), and handed to `Conversations.shopper_message` like a chat message, with
metadata channel="email" and a signed token for the sender's address: the action server
verifies an order only when that address is the order's email, so a forged From: line
gets no order data. The bot's replies to one mail go back as one reply in the thread.
Machine mail (auto-replies, bounces, lists, our own mail coming back) is never answered.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from bot import copy
from handoff.channels.email.outbound import Mailer, compose
from handoff.channels.email.parse import InboundMail, parse
from handoff.channels.email.threads import Threads, customer_token
from handoff.conversations.pipeline import Conversations
from handoff.conversations.text import clean_text
from handoff.errors import DomainError
from handoff.settings import Settings

LOG = logging.getLogger("handoff.channels.email")
_REPLY_PREFIXES = ("re:", "aw:", "antw:", "rif:", "r:", "res:", "sv:", "vs:", "fw:", "wg:")


def bot_text(mail: InboundMail, new_thread: bool, max_chars: int) -> str:
    """What the bot reads: the new text; on a new thread the subject too (often the
    whole question: "Where is my order XB-204518?")."""
    subject = mail.subject.strip()
    parts = []
    if new_thread and subject and not subject.lower().startswith(_REPLY_PREFIXES):
        parts.append(subject)
    if mail.text.strip():
        parts.append(mail.text.strip())
    elif mail.attachments:
        parts.append(", ".join(a.filename for a in mail.attachments))
    return "\n".join(parts)[:max_chars]


def reply_paragraphs(replies: list[dict[str, Any]]) -> list[str]:
    """Bot replies as email paragraphs; quick-reply buttons become a list to answer with."""
    out: list[str] = []
    for reply in replies:
        text = str(reply.get("text") or "").strip()
        titles = [str(b.get("title")) for b in reply.get("buttons") or [] if b.get("title")]
        if titles:
            text = "\n".join([text, *(f"• {t}" for t in titles)]).strip()
        if text:
            out.append(text)
    return out


class EmailInbound:
    """Turns received mail into conversation turns (used by the SMTP handler and tests)."""

    def __init__(
        self,
        settings: Settings,
        conversations: Callable[[], Conversations],
        threads: Callable[[], Threads],
        mailer: Mailer,
    ) -> None:
        self.settings = settings
        self.conversations = conversations
        self.threads = threads
        self.mailer = mailer
        self.tasks: set[asyncio.Task[None]] = set()

    async def receive(self, raw: bytes, envelope_from: str | None = None) -> str | None:
        """Handle one mail; returns the conversation id it went to (None: not answered)."""
        s = self.settings
        mail = parse(raw, s.email_domain, s.email_max_attachment_bytes, envelope_from)
        if mail.automatic:
            LOG.info(
                "email_ignored",
                extra={"reason": mail.automatic, "message_id": mail.message_id},
            )
            return None
        threads = self.threads()
        known = await threads.conversation_for(mail)
        conv_id = known or "em-" + secrets.token_hex(10)
        text = bot_text(mail, known is None, s.max_text_chars)
        if not text.strip():
            LOG.info("email_empty", extra={"conversation_id": conv_id})
            return None
        await threads.open(conv_id, mail.sender, mail.subject, mail.message_id, mail.references)
        await threads.remember(mail.message_id, conv_id)
        await threads.keep_original(conv_id, mail)
        digest = hashlib.sha1((mail.message_id or text).encode()).hexdigest()[:40]
        metadata = {
            "channel": "email",
            "email": mail.sender,
            # a forged From: (per our MTA's checks) proves nothing: no token, no order data
            "customer_token": ""
            if mail.sender_forged
            else customer_token(mail.sender, s.customer_token_secret),
        }
        try:
            shopper_text = clean_text(text, s.max_text_chars)
            result = await self.conversations().shopper_message(
                conv_id, shopper_text, metadata, client_id=f"em:{digest}"
            )
        except DomainError as exc:
            LOG.warning("email_rejected", extra={"conversation_id": conv_id, "code": exc.code})
            return None
        paragraphs = reply_paragraphs(result["replies"])
        LOG.info(
            "email_received",
            extra={
                "conversation_id": conv_id,
                "language": result["language"],
                "mode": result["mode"],
                "replies": len(paragraphs),
                "attachments": len(mail.attachments),
                "refused": len(mail.refused),
            },
        )
        if paragraphs:
            await self.send_reply(conv_id, paragraphs, result["language"], automatic=True)
        return conv_id

    async def send_reply(
        self, conv_id: str, paragraphs: list[str], lang: str, automatic: bool
    ) -> bool:
        """One email in the conversation's thread (to the address that wrote to us)."""
        threads = self.threads()
        record = await threads.record(conv_id)
        if not record.get("address") or not self.mailer.enabled:
            return False
        # the bot's answer opens with a greeting; every email closes like a letter
        opening = [copy.render("email_greeting", lang)] if automatic else []
        msg = compose(
            sender=self.settings.email_from,
            to=record["address"],
            subject=record.get("subject", ""),
            paragraphs=[*opening, *paragraphs, copy.render("email_signoff", lang)],
            lang=lang,
            domain=self.settings.email_domain,
            in_reply_to=record.get("last_message_id", ""),
            references=tuple(json.loads(record.get("references") or "[]")),
            automatic=automatic,
        )
        # joins the thread before it goes out: a reply written meanwhile threads under it
        await threads.sent(conv_id, str(msg["Message-ID"]))
        await self.mailer.send(msg)
        LOG.info("email_sent", extra={"conversation_id": conv_id, "language": lang})
        return True

    def submit(self, coro: Awaitable[Any]) -> None:
        async def run() -> None:
            try:
                await coro
            except Exception:  # noqa: BLE001 - one bad mail must not stop the listener
                LOG.exception("email_failed")

        task = asyncio.ensure_future(run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


class SmtpHandler:
    """aiosmtpd handler: accept, answer 250 at once, process the mail in the background
    (the bot may take seconds; the sending server should not wait for it)."""

    def __init__(self, inbound: EmailInbound) -> None:
        self.inbound = inbound

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="replace")
        if len(raw) > self.inbound.settings.email_max_bytes:
            return "552 5.3.4 message too big"
        mail_from = envelope.mail_from
        envelope_from = "" if mail_from in ("", "<>") else mail_from
        self.inbound.submit(self.inbound.receive(raw, envelope_from))
        return "250 2.0.0 OK: queued"
