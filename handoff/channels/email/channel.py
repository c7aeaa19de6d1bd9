"""The email `Channel`: the inbound SMTP listener, agent replies out as email, the mail page.

Store-and-forward (see handoff/channels/base.py): no socket per shopper. The channel
listens to every conversation's live entries itself and mails an agent's reply in an email
conversation to the thread; with several gateways, a Redis claim per entry makes exactly
one of them send it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot import copy
from handoff import keys
from handoff.channels.email import catcher, routes
from handoff.channels.email.inbound import EmailInbound, SmtpHandler
from handoff.channels.email.notices import send_forever as send_notices
from handoff.channels.email.outbound import Mailer
from handoff.channels.email.threads import Threads
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


async def forward_agent_replies(redis: Redis, inbound: EmailInbound) -> None:
    """Mail every agent entry of an email conversation to its thread, once."""
    threads = inbound.threads()
    while True:
        pubsub = redis.pubsub()
        try:
            await pubsub.psubscribe(keys.CHANNEL_PATTERN)
            while True:
                msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if msg is None:
                    continue
                channel = msg["channel"]
                channel = channel.decode() if isinstance(channel, bytes) else channel
                conv_id = channel[len(keys.channel("")) :]
                entry: dict[str, Any] = json.loads(msg["data"])
                if entry.get("speaker") != "agent" or "seq" not in entry:
                    continue
                if not await threads.is_email(conv_id) and not await follow_up_by_email(
                    redis, threads, conv_id, entry.get("language") or "en"
                ):
                    continue
                if not await threads.claim_send(conv_id, int(entry["seq"])):
                    continue
                try:
                    await inbound.send_reply(
                        conv_id, [str(entry.get("text", ""))], entry.get("language") or "en",
                        automatic=False,
                    )  # fmt: skip
                except (OSError, ValueError) as exc:  # smtplib errors are OSErrors
                    LOG.error(
                        "email_send_failed",
                        extra={"conversation_id": conv_id, "error": repr(exc)},
                    )
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError) as exc:
            LOG.warning("email_forwarder_lost", extra={"error": repr(exc)})
            await asyncio.sleep(1.0)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.close()


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
        forwarder = asyncio.create_task(forward_agent_replies(app[K.REDIS], inbound))
        notices = asyncio.create_task(
            send_notices(app[K.REDIS], Mailer(settings.smtp_url), settings)
        )
        yield
        forwarder.cancel()
        notices.cancel()
        if server is not None:
            server.close()
            await server.wait_closed()
        for task in list(inbound.tasks):
            task.cancel()
        await asyncio.gather(forwarder, notices, *inbound.tasks, return_exceptions=True)
