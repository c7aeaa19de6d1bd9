"""Startup and shutdown hooks with types mypy accepts.

aiohttp 3.9 declares `on_startup`/`on_shutdown` as `Signal[Callable[[Application],
Awaitable[None]]]`, but the aiosignal release Rasa pins types `Signal` over the callback's
argument, so every `append` is a false positive. The one ignore lives here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Hook = Callable[[web.Application], Awaitable[None]]


def on_startup(app: web.Application, hook: Hook) -> None:
    app.on_startup.append(hook)  # type: ignore[arg-type]


def on_shutdown(app: web.Application, hook: Hook) -> None:
    app.on_shutdown.append(hook)  # type: ignore[arg-type]
