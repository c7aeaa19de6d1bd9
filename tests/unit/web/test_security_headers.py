"""The gateway's security headers (handoff/security.py) and its test-hook switch."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from handoff.settings import Settings
from handoff.web import security


async def page(request: web.Request) -> web.Response:
    return web.Response(text="<!doctype html><p>shop</p>", content_type="text/html")


async def own_policy(request: web.Request) -> web.Response:
    return web.Response(text="{}", headers={"Content-Security-Policy": "default-src 'none'"})


async def missing(request: web.Request) -> web.Response:
    raise web.HTTPNotFound()


async def test_every_http_response_gets_the_headers_and_a_handler_may_set_its_own() -> None:
    app = web.Application(middlewares=[security.headers])
    app.router.add_get("/", page)
    app.router.add_get("/own", own_policy)
    app.router.add_get("/missing", missing)
    async with TestClient(TestServer(app)) as client:
        for path, status in [("/", 200), ("/missing", 404), ("/not-routed", 404)]:
            resp = await client.get(path)
            assert resp.status == status
            csp = resp.headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            assert resp.headers["Referrer-Policy"] == "same-origin"
        resp = await client.get("/own")
        assert resp.headers["Content-Security-Policy"] == "default-src 'none'"


def test_test_hooks_are_off_unless_asked_for() -> None:
    assert Settings.from_env({}).test_hooks is False
    assert Settings.from_env({"GATEWAY_TEST_HOOKS": "1"}).test_hooks is True
