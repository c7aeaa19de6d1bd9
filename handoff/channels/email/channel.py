"""The email `Channel`: the inbound SMTP listener, agent replies out as email, the mail page.

Store-and-forward (see handoff/channels/base.py): no socket per shopper. The channel
listens to every conversation's live entries as a listener of the gateway's socket hub (no
pub/sub connection of its own) and mails an agent's reply in an email conversation to the
thread; with several gateways, a Redis claim per entry makes exactly one of them send it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP
from redis.asyncio import Redis

from bot import copy
from handoff import keys
from handoff.channels.email import catcher, routes
from handoff.channels.email.inbound import EmailInbound, SmtpHandler
from handoff.channels.email.notices import send_forever as send_notices
from handoff.channels.email.outbound import Mailer
from handoff.channels.email.threads import Threads
from handoff.tasks import stop_tasks
from handoff.web import appkeys as K

LOG = logging.getLogger("handoff.channels.email")
INBOUND: web.AppKey[EmailInbound] = web.AppKey("email_inbound")


async def follow_up_by_email(redis: Redis, threads: Threads, conv_id: str, lang: str) -> bool:
    """A chat whose shopper was promised an email answer (after hours, the order's
    address): it becomes an email thread from the first agent reply on."""
    raw = await redis.hget(keys.conversation(conv_id), "email_followup")
    address = raw.decode() if isinstance(raw, bytes) else raw
    if not address:
        return False
    await threads.open(conv_id, address, copy.render("email_chat_subject", lang), "", ())
    return True


class AgentReplyForwarder:
    """A hub listener (handoff.channels.hub): mails every agent entry of an email
    conversation to its thread, once across gateways. The hub's dispatch must not wait for
    SMTP, so the send runs as a task of the inbound side (cancelled on shutdown)."""

    def __init__(self, redis: Redis, inbound: EmailInbound) -> None:
        self.redis, self.inbound = redis, inbound

    async def __call__(self, conv_id: str, entry: dict[str, Any]) -> None:
        if entry.get("speaker") == "agent" and "seq" in entry:
            self.inbound.submit(self.forward(conv_id, entry))

    async def forward(self, conv_id: str, entry: dict[str, Any]) -> None:
        threads = self.inbound.threads()
        lang = entry.get("language") or "en"
        if not await threads.is_email(conv_id) and not await follow_up_by_email(
            self.redis, threads, conv_id, lang
        ):
            return
        if not await threads.claim_send(conv_id, int(entry["seq"])):
            return
        try:
            await self.inbound.send_reply(
                conv_id, [str(entry.get("text", ""))], lang, automatic=False
            )
        except (OSError, ValueError) as exc:  # smtplib errors are OSErrors
            LOG.error("email_send_failed", extra={"conversation_id": conv_id, "error": repr(exc)})


class EmailChannel:
    """Shoppers writing email: SMTP in (EMAIL_INBOUND_PORT), SMTP out (SMTP_URL)."""

    name = "email"

    def add_routes(self, app: web.Application) -> None:
        app.cleanup_ctx.append(self._ctx)
        catcher.add_routes(app)
        routes.add_routes(app)

    @staticmethod
    async def _ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[K.SETTINGS]
        threads = Threads(app[K.REDIS], int(settings.retention_days * 86400))
        inbound = EmailInbound(
            settings, lambda: app[K.CONVERSATIONS], lambda: threads, Mailer(settings.smtp_url)
        )
        app[INBOUND] = inbound
        server: asyncio.AbstractServer | None = None
        if settings.email_inbound_port:
            if not settings.customer_token_secret:
                LOG.warning("email_no_verification", extra={"why": "CUSTOMER_TOKEN_SECRET unset"})
            loop = asyncio.get_running_loop()
            try:
                server = await loop.create_server(
                    lambda: SMTP(SmtpHandler(inbound), data_size_limit=settings.email_max_bytes),
                    host=settings.email_inbound_host,
                    port=settings.email_inbound_port,
                )
                LOG.info("email_listening", extra={"port": settings.email_inbound_port})
            except OSError as exc:  # another gateway on this host holds the port
                LOG.warning("email_listen_failed", extra={"error": repr(exc)})
        forwarder = AgentReplyForwarder(app[K.REDIS], inbound)
        app[K.SOCKETS].entry_listeners.append(forwarder)
        notices = asyncio.create_task(
            send_notices(app[K.REDIS], Mailer(settings.smtp_url), settings)
        )
        yield
        app[K.SOCKETS].entry_listeners.remove(forwarder)
        if server is not None:
            server.close()
            await server.wait_closed()
        await stop_tasks([notices, *inbound.tasks])
