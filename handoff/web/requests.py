"""Request helpers every handler shares: JSON bodies, metadata, query numbers, Origin."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from handoff.conversations.text import check_locale, is_encodable
from handoff.errors import InputError
from handoff.web import appkeys as K

MAX_BODY = 64 * 1024


def error(status: int, code: str, message: str) -> web.Response:
    """The one shape of an error response: `{"error": {"code", "message"}}`."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def read_json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(400, "bad_encoding", "the request body must be UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            400, "bad_json", f"the request body is not valid JSON: {exc.msg}"
        ) from None
    except RecursionError:
        raise InputError(400, "bad_json", "the request body is nested too deeply") from None
    if not isinstance(body, dict):
        raise InputError(400, "bad_json", "the request body must be a JSON object")
    return body


def metadata_of(body: dict[str, Any]) -> dict[str, Any]:
    meta = body.get("metadata") or {}
    if not isinstance(meta, dict):
        raise InputError(400, "bad_metadata", "'metadata' must be a JSON object")
    out: dict[str, Any] = {
        k: v
        for k, v in meta.items()
        if isinstance(k, str)
        and is_encodable(k)
        and isinstance(v, (str, int, float, bool))
        and (not isinstance(v, str) or (is_encodable(v) and len(v) <= 4096))
    }
    if "locale" in meta:
        out["locale"] = check_locale(meta.get("locale"))
    return out


def client_address(request: web.Request) -> str:
    """The address the per-client limits count: the peer, or - when the peer is one of
    TRUSTED_PROXIES - the last X-Forwarded-For hop that is not a trusted proxy."""
    peer = request.remote or "unknown"
    trusted = request.app[K.SETTINGS].trusted_proxies
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop[:64]
    return peer


TOKEN_HEADER = "X-Conversation-Token"


def presented_token(request: web.Request) -> str | None:
    """The conversation token a shopper client sent: a header (REST) or `token` in the query
    (websockets, where browsers can't set headers). Never logged: access logs are off."""
    token = request.headers.get(TOKEN_HEADER) or request.query.get("token") or None
    if token is not None and (len(token) > 128 or not is_encodable(token)):
        raise InputError(400, "bad_conversation_token", "the conversation token is malformed")
    return token


def query_int(request: web.Request, name: str, default: int = 0) -> int:
    raw = request.query.get(name, "") or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise InputError(400, f"bad_{name}", f"'{name}' must be a whole number") from None
    if value < 0:
        raise InputError(400, f"bad_{name}", f"'{name}' must not be negative")
    return value


def origin_allowed(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is None or origin in request.app[K.SETTINGS].allowed_origins
