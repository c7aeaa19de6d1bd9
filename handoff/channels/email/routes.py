"""What agents read of an email conversation beyond the transcript: each mail as received
(the whole text with its quoted history, who sent it) and the files attached to it.

Staff only. Files are served as downloads (`Content-Disposition: attachment`, `nosniff`, a
sandboxing CSP), with the type checked against the allow-list again, so a file a shopper
sent can't run as a page on the gateway's origin.
"""

from __future__ import annotations

import re

from aiohttp import web

from handoff import keys
from handoff.accounts import auth
from handoff.channels.email.catcher import require_staff
from handoff.channels.email.notices import counts, dead_letters
from handoff.channels.email.parse import ALLOWED_TYPES
from handoff.channels.email.threads import Threads
from handoff.conversations.text import check_conversation_id
from handoff.errors import InputError
from handoff.web import appkeys as K

FILE_ID = re.compile(r"^[0-9a-f]{10}-\d{1,2}$")


async def originals(request: web.Request) -> web.Response:
    await require_staff(request)
    conv_id = check_conversation_id(request.match_info["conversation_id"])
    threads = Threads(request.app[K.REDIS], 60)
    return web.json_response(
        {"conversation_id": conv_id, "mails": await threads.originals(conv_id)}
    )


async def attachment(request: web.Request) -> web.Response:
    await require_staff(request)
    conv_id = check_conversation_id(request.match_info["conversation_id"])
    file_id = request.match_info["file_id"]
    if not FILE_ID.match(file_id):
        raise InputError(400, "bad_file_id", "no such attachment")
    threads = Threads(request.app[K.REDIS], 60)
    record = next(
        (
            f
            for mail in await threads.originals(conv_id)
            for f in mail.get("attachments", [])
            if f.get("id") == file_id
        ),
        None,
    )
    data = await request.app[K.REDIS].get(keys.email_attachment(conv_id, file_id))
    if record is None or data is None or record.get("type") not in ALLOWED_TYPES:
        raise InputError(404, "no_attachment", "this attachment is gone or never existed")
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", str(record.get("name", "file")))[:80]
    return web.Response(
        body=data,
        content_type=str(record["type"]),
        headers={
            "Content-Disposition": f'attachment; filename="{safe_name}"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


async def dead_notices(request: web.Request) -> web.Response:
    """Admins: the proactive notices whose email failed too often (newest last)."""
    await auth.require(request, "admin")
    redis = request.app[K.REDIS]
    return web.json_response(
        {"count": (await counts(redis))["dead"], "notices": await dead_letters(redis)}
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/admin/notices/dead", dead_notices)
    app.router.add_get("/api/console/email/{conversation_id}", originals)
    app.router.add_get("/api/console/email/{conversation_id}/files/{file_id}", attachment)
