"""Static pages: the demo storefront, the agent console and the static folder."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).with_name("static")


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "demo" / "index.html")


async def console_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "console" / "index.html")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/console/", console_page)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC)
