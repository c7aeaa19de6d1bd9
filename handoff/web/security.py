"""Security headers on every HTTP response of the gateway: a strict CSP and friends.

The pages the gateway serves (the demo storefront, later the agent console) load scripts
and styles only from the gateway itself: no inline script or style, no eval, no framing.
The headers go on every non-websocket response: a CSP is ignored outside documents, and
`nosniff` matters most on the scripts and stylesheets. A handler that needs a different
policy for its page sets its own header; this middleware only fills in what is missing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from multidict import CIMultiDict

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _fill(headers: CIMultiDict[str]) -> None:
    for name, value in HEADERS.items():
        headers.setdefault(name, value)


@web.middleware
async def headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # 404s and redirects raised by the router or handlers
        _fill(exc.headers)  # type: ignore[arg-type]
        raise
    if not response.prepared:  # a websocket has already sent its headers
        _fill(response.headers)  # type: ignore[arg-type]
    return response
