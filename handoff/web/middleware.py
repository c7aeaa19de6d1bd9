"""The one place domain errors become HTTP: JSON 4xx/5xx, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from handoff.errors import DomainError
from handoff.web.requests import MAX_BODY, error

LOG = logging.getLogger("handoff.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Domain errors become JSON 4xx; nothing unexpected ever shows a traceback."""
    try:
        return await handler(request)
    except DomainError as exc:
        return error(exc.status, exc.code, exc.message)
    except web.HTTPRequestEntityTooLarge:
        return error(413, "body_too_large", f"request body over {MAX_BODY} bytes")
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith("/api/"):
            return error(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason)
        raise
    except Exception:
        LOG.exception("unhandled_error", extra={"path": request.path})
        return error(500, "internal", "something went wrong on our side; please try again")
