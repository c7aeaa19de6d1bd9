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
from handoff.errors import InputError
from handoff.reports import lifecycle
from handoff.reports.lifecycle import current_alerts
from handoff.reports.routes import DB
from handoff.reports.watcher import AlertWatcher
from handoff.reports.webhook import Webhook
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


async def watcher_ctx(app: web.Application) -> AsyncIterator[None]:
    """The alert watcher (and the weekly digest), when ALERTS_EVERY_S > 0."""
    settings = app[K.SETTINGS]
    if settings.alerts_every_s <= 0:
        yield
        return
    hook = None
    if settings.alert_webhook_url:
        hook = Webhook(app[K.HTTP], settings.alert_webhook_url, settings.public_url)
    watcher = AlertWatcher(
        app[K.REDIS], app[DB], app[K.ACCOUNTS], settings.instance, settings.alerts_every_s, hook
    )
    task = asyncio.create_task(watcher.run_forever())
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    if hook is not None:
        await hook.close()


def add_routes(app: web.Application) -> None:
    app.cleanup_ctx.append(watcher_ctx)  # after the reports database's own context
    app.router.add_get("/api/reports/alerts", list_alerts)
    app.router.add_post(r"/api/reports/alerts/{alert_id:A-[0-9a-f]{16}}/ack", ack)
    app.router.add_post(r"/api/reports/alerts/{alert_id:A-[0-9a-f]{16}}/resolve", resolve)
