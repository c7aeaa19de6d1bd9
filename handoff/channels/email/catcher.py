"""The embedded mail catcher: an SMTP server that keeps what it receives, and its page.

Development default for outbound mail (no real relay needed): the launcher starts it on a
free loopback port (`python -m handoff.channels.email.catcher --port N`) and points the
gateway's SMTP_URL at it. It is an aiosmtpd server whose handler parses each message and
pushes a JSON summary onto a capped Redis list; `/console/mail` (staff session) lists them.
The page is built on the server with every value HTML-escaped: a mail's HTML part is shown
as escaped source text, never rendered, so a script in a mail cannot run in the console.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import signal
import time
from email import policy
from email.parser import BytesParser
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP
from redis.asyncio import Redis

from handoff import keys
from handoff.accounts.auth import account_of
from handoff.channels.email.parse import decode_part, header
from handoff.errors import InputError
from handoff.web import appkeys as K

KEEP = 200
STAFF_ROLES = ("agent", "lead", "admin")


def summary(raw: bytes, rcpt_tos: list[str]) -> dict[str, Any]:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    text, markup = "", ""
    for part in msg.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and not text:
            text = decode_part(part)
        elif kind == "text/html" and not markup:
            markup = decode_part(part)
    return {
        "at": time.time(),
        "from": header(msg, "From"),
        "to": header(msg, "To") or ", ".join(rcpt_tos),
        "rcpt": rcpt_tos,
        "subject": header(msg, "Subject"),
        "date": header(msg, "Date"),
        "message_id": header(msg, "Message-ID"),
        "in_reply_to": header(msg, "In-Reply-To"),
        "references": header(msg, "References"),
        "language": header(msg, "Content-Language"),
        "auto_submitted": header(msg, "Auto-Submitted"),
        "text": text[:50_000],
        "html": markup[:100_000],
    }


class CatcherHandler:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        item = summary(raw if isinstance(raw, bytes) else raw.encode(), list(envelope.rcpt_tos))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(keys.MAIL_CATCHER, json.dumps(item, ensure_ascii=False))
            pipe.ltrim(keys.MAIL_CATCHER, 0, KEEP - 1)
            await pipe.execute()
        return "250 2.0.0 OK: caught"


async def caught(redis: Redis, limit: int = 50) -> list[dict[str, Any]]:
    return [json.loads(x) for x in await redis.lrange(keys.MAIL_CATCHER, 0, limit - 1)]


def _row(item: dict[str, Any]) -> str:
    e = html.escape
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(item.get("at", 0))))
    source = (
        f"<details><summary>HTML part (source, not rendered)</summary>"
        f"<pre>{e(item['html'])}</pre></details>"
        if item.get("html")
        else ""
    )
    return (
        f"<article><h2>{e(item.get('subject', ''))}</h2>"
        f"<p>To: {e(item.get('to', ''))} · From: {e(item.get('from', ''))} · {e(when)}</p>"
        f"<p>Message-ID: {e(item.get('message_id', ''))}"
        f" · In-Reply-To: {e(item.get('in_reply_to', '') or '-')}</p>"
        f"<pre>{e(item.get('text', ''))}</pre>{source}</article>"
    )


async def require_staff(request: web.Request) -> None:
    account = await account_of(request)
    if account is None:
        raise InputError(401, "login_required", "log in first")
    if not any(account.has(r) for r in STAFF_ROLES):
        raise InputError(403, "forbidden", "this needs a staff role")


async def mail_page(request: web.Request) -> web.Response:
    await require_staff(request)
    items = await caught(request.app[K.REDIS])
    rows = "\n".join(_row(i) for i in items) or "<p>No mail caught yet.</p>"
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Caught mail</title></head><body><h1>Mail caught by the embedded catcher"
        f"</h1>\n{rows}\n</body></html>"
    )
    return web.Response(text=page, content_type="text/html")


async def mail_api(request: web.Request) -> web.Response:
    await require_staff(request)
    return web.json_response({"messages": await caught(request.app[K.REDIS])})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/console/mail", mail_page)
    app.router.add_get("/api/console/mail", mail_api)


async def serve(redis_url: str, host: str, port: int) -> None:
    redis = Redis.from_url(redis_url)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(CatcherHandler(redis)), host=host, port=port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"mail catcher on {host}:{port}", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()
    await redis.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    args = parser.parse_args()
    asyncio.run(
        serve(os.environ.get("REDIS_URL", "redis://127.0.0.1:6390/0"), args.host, args.port)
    )


if __name__ == "__main__":
    main()
