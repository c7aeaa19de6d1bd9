"""Login, logout and the role checks every agent/trainer endpoint goes through.

Pages and sockets use the HttpOnly, SameSite=Strict session cookie; tools may send
`Authorization: Bearer <token>` with the token that /api/auth/login returns.
No session → 401; a session without the role → 403.
"""

from __future__ import annotations

from aiohttp import web

from handoff.accounts.store import Account, AccountError
from handoff.errors import InputError
from handoff.web import appkeys as K
from handoff.web.requests import client_address, read_json

COOKIE = "xb_session"


def token_of(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    return request.cookies.get(COOKIE, "")


async def account_of(request: web.Request) -> Account | None:
    return await request.app[K.ACCOUNTS].session_account(token_of(request))


async def require(request: web.Request, role: str, *or_roles: str) -> Account:
    """The logged-in account with `role` or one of `or_roles` (admins have every role),
    else 401/403."""
    account = await account_of(request)
    if account is None:
        raise InputError(401, "login_required", "log in first")
    if not any(account.has(r) for r in (role, *or_roles)):
        raise InputError(403, "forbidden", f"this needs the {' or '.join((role, *or_roles))} role")
    return account


async def login(request: web.Request) -> web.Response:
    body = await read_json(request)
    login_name, password = body.get("login"), body.get("password")
    if not isinstance(login_name, str) or not isinstance(password, str) or not login_name:
        raise InputError(400, "bad_login", 'send {"login": ..., "password": ...}')
    try:
        account = await request.app[K.ACCOUNTS].authenticate(
            login_name.strip().lower(), password, client_address(request)
        )
    except AccountError as exc:
        raise InputError(429, "login_locked", str(exc)) from None
    if account is None:
        raise InputError(401, "bad_credentials", "wrong login or password")
    token = await request.app[K.ACCOUNTS].start_session(account.login)
    resp = web.json_response({"account": account.public(), "token": token})
    resp.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        path="/",
        secure=request.app[K.SETTINGS].public_url.startswith("https"),
    )
    return resp


async def logout(request: web.Request) -> web.Response:
    await request.app[K.ACCOUNTS].end_session(token_of(request))
    resp = web.json_response({"ok": True})
    resp.del_cookie(COOKIE, path="/")
    return resp


async def me(request: web.Request) -> web.Response:
    account = await account_of(request)
    if account is None:
        raise InputError(401, "login_required", "log in first")
    return web.json_response({"account": account.public()})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/auth/login", login)
    app.router.add_post("/api/auth/logout", logout)
    app.router.add_get("/api/auth/me", me)
