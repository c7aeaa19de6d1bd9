"""Alerts, keywords and the weekly digest over HTTP (lead/admin): list, acknowledge, resolve.

`GET /api/reports/alerts` lists this week's firing alerts with their id, state, owner and note
(resolved ones left out; `?state=all` keeps them). `POST …/{alert_id}/ack` and `/resolve`
take `{"note": "...", "owner": "login"}` (owner defaults to the caller; it must be an account).
Writes follow the staff CSRF rule (web/csrf.py) like every other staff POST.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from handoff.accounts import auth
from handoff.channels.email.outbound import Mailer
from handoff.errors import InputError
from handoff.reports import digest, lifecycle
from handoff.reports.lifecycle import current_alerts
from handoff.reports.routes import DB
from handoff.reports.watcher import AlertWatcher
from handoff.reports.webhook import Webhook
from handoff.tasks import stop_tasks
from handoff.web import appkeys as K
from handoff.web.requests import read_json

MAX_NOTE = 2000


async def list_alerts(request: web.Request) -> web.Response:
    await auth.require(request, "lead")
    db = request.app[DB]
    found, week = await db.run(current_alerts, db)
    keep = request.query.get("state") == "all"
    return web.json_response(await db.run(lifecycle.with_states, db, found, week, keep))


async def _change(request: web.Request, target: str) -> web.Response:
    account = await auth.require(request, "lead")
    ident = request.match_info["alert_id"]
    body = await read_json(request)
    note, owner = body.get("note", ""), body.get("owner") or account.login
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise InputError(400, "bad_note", f"note must be text of at most {MAX_NOTE} characters")
    if not isinstance(owner, str) or await request.app[K.ACCOUNTS].get(owner) is None:
        raise InputError(400, "bad_owner", "owner must be the login of an account")
    db = request.app[DB]
    found: list[dict[str, Any]] = []
    week = lifecycle.alert_week(db)
    if not await db.run(lifecycle.states, db, [ident]):  # not stored yet: is it firing now?
        found, week = await db.run(current_alerts, db)
    row = await db.run(
        lifecycle.transition, db, ident, target, owner, note.strip(), account.login, found, week
    )
    return web.json_response(row)


async def ack(request: web.Request) -> web.Response:
    return await _change(request, "acknowledged")


async def resolve(request: web.Request) -> web.Response:
    return await _change(request, "resolved")


async def digest_page(request: web.Request) -> web.Response:
    """`?week=YYYY-MM-DD` (any day of it; this week by default) `&format=html|csv`."""
    await auth.require(request, "lead")
    db = request.app[DB]
    fmt = request.query.get("format", "html")
    if fmt not in ("html", "csv"):
        raise InputError(400, "bad_format", "format is html or csv")
    try:
        week = digest.monday(request.query.get("week") or lifecycle.alert_week(db))
    except ValueError:
        raise InputError(400, "bad_date", "week must be YYYY-MM-DD") from None
    firing: list[dict[str, Any]] = []
    if week == lifecycle.alert_week(db):  # this week: what fires now counts too
        found, now_week = await db.run(lifecycle.current_alerts, db)
        firing = await db.run(lifecycle.with_states, db, found, now_week)
    body = await db.run(digest.build, db, week, firing)
    if fmt == "csv":
        return web.Response(
            body=digest.to_csv(body),
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="digest-{week}.csv"',
            },
        )
    return web.Response(text=digest.to_html(body), content_type="text/html")


async def watcher_ctx(app: web.Application) -> AsyncIterator[None]:
    """The alert watcher (and the weekly digest), when ALERTS_EVERY_S > 0."""
    settings = app[K.SETTINGS]
    if settings.alerts_every_s <= 0:
        yield
        return
    hook, weekly = None, None
    if settings.digest_to and settings.smtp_url:
        weekly = digest.DigestMailer(
            app[K.REDIS], app[DB], Mailer(settings.smtp_url), settings.digest_to,
            settings.email_from, settings.email_domain,
        )  # fmt: skip
    if settings.alert_webhook_url:
        hook = Webhook(app[K.HTTP], settings.alert_webhook_url, settings.public_url)
    watcher = AlertWatcher(
        app[K.REDIS],
        app[DB],
        app[K.ACCOUNTS],
        settings.instance,
        settings.alerts_every_s,
        hook,
        weekly,
    )
    task = asyncio.create_task(watcher.run_forever())
    yield
    await stop_tasks([task])
    if hook is not None:
        await hook.close()


def add_routes(app: web.Application) -> None:
    app.cleanup_ctx.append(watcher_ctx)  # after the reports database's own context
    app.router.add_get("/api/reports/alerts", list_alerts)
    app.router.add_get("/api/reports/digest", digest_page)
    app.router.add_post(r"/api/reports/alerts/{alert_id:A-[0-9a-f]{16}}/ack", ack)
    app.router.add_post(r"/api/reports/alerts/{alert_id:A-[0-9a-f]{16}}/resolve", resolve)
