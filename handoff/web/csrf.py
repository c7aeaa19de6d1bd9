"""Same-site request forgery guard for staff routes that change state.

Staff pages authenticate with a SameSite=Strict cookie, which a sibling subdomain still
sends: a plain-text form POST from `evil.shop.example` carried it and dismissed inbox items.
So a cookie-authenticated POST/PUT/PATCH/DELETE under /api/ (shopper endpoints excepted: they
carry no staff cookie) must come from one of our own origins: `Origin` (sent by every
browser on such requests) in the gateway's public origin or ALLOWED_ORIGINS. Tools that send
`Authorization: Bearer` carry no ambient credential and are not affected.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from handoff.accounts.auth import COOKIE
from handoff.errors import Forbidden
from handoff.web import appkeys as K

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SHOPPER_PATHS = ("/api/conversations/", "/api/analyze")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@web.middleware
async def staff_csrf(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if (
        request.method in UNSAFE
        and request.path.startswith("/api/")
        and not request.path.startswith(SHOPPER_PATHS)
        and COOKIE in request.cookies
        and not request.headers.get("Authorization", "").startswith("Bearer ")
    ):
        settings = request.app[K.SETTINGS]
        ours = {origin_of(settings.public_url), *settings.allowed_origins}
        origin = request.headers.get("Origin")
        if origin is None and request.headers.get("Sec-Fetch-Site") == "same-origin":
            origin = origin_of(settings.public_url)
        if origin not in ours:
            raise Forbidden("cross_site_request", "this request must come from the console itself")
    return await handler(request)
