"""The one place domain errors become HTTP: JSON 4xx/5xx, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from redis.exceptions import RedisError

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
    except (RedisError, ConnectionError) as exc:
        # Redis is away (a blip, a failover): nothing was half-written that the client
        # could lose by retrying; the widget keeps the message and sends it again
        LOG.warning("store_unavailable", extra={"path": request.path, "error": repr(exc)})
        return error(503, "store_unavailable", "we can't save messages right now; try again")
    except web.HTTPRequestEntityTooLarge:
        return error(413, "body_too_large", f"request body over {MAX_BODY} bytes")
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith("/api/"):
            return error(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason)
        raise
    except Exception:
        LOG.exception("unhandled_error", extra={"path": request.path})
        return error(500, "internal", "something went wrong on our side; please try again")
