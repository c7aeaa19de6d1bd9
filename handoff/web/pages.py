"""Static pages: the demo storefront, the agent console, the reports page, the static folder."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).with_name("static")


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "demo" / "index.html")


async def console_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "console" / "index.html")


async def reports_page(request: web.Request) -> web.FileResponse:
    # the page checks the role itself (lead or admin) and every /api/reports/* call does too
    page = STATIC / "reports" / "index.html"
    return web.FileResponse(page, headers={"Cache-Control": "no-store"})


async def transcript_page(request: web.Request) -> web.FileResponse:
    # read-only; the page checks the role and /api/conversations/{id} needs a staff session
    page = STATIC / "reports" / "transcript.html"
    return web.FileResponse(page, headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/console/", console_page)
    app.router.add_get("/console/reports", reports_page)
    app.router.add_get("/console/reports/transcript", transcript_page)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC)
