"""The gateway's application factory: wires stores, clients, channels and routes together.

Assembly only — handlers live with their domain (`web.api`, `channels.widget`,
`desk.protocol`, `accounts.auth`, `trainer.routes`). Run it with `python -m handoff.web`.
Development extras (test hooks, demo accounts) are added by `handoff.dev.gateway`, never here.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Sequence

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from bot import entities, language
from handoff import logs
from handoff.accounts import auth
from handoff.accounts.store import AccountStore
from handoff.cases.csat import Csat
from handoff.channels.base import Channel
from handoff.channels.email.channel import EmailChannel
from handoff.channels.hub import SocketHub
from handoff.channels.widget import WidgetChannel
from handoff.conversations.pipeline import Conversations
from handoff.conversations.store import ConversationStore
from handoff.desk import protocol as desk_protocol
from handoff.desk.operations import Desk
from handoff.notices.watcher import NoticeWatcher
from handoff.rasa_client import RasaClient
from handoff.reports import alert_routes
from handoff.reports import routes as reports_routes
from handoff.routing.config import load_config
from handoff.routing.queue import HandoffStore
from handoff.settings import Settings
from handoff.tasks import stop_tasks
from handoff.trainer import routes as trainer_routes
from handoff.translation import build_translator
from handoff.web import api, hooks, pages, security
from handoff.web import appkeys as K
from handoff.web.csrf import staff_csrf
from handoff.web.middleware import errors
from handoff.web.requests import MAX_BODY

# Every way shoppers reach us; a new channel is one more entry (see handoff/channels/base.py).
CHANNELS: tuple[Channel, ...] = (WidgetChannel(), EmailChannel())

Extension = Callable[[web.Application], None]


def create_app(settings: Settings, extensions: Sequence[Extension] = ()) -> web.Application:
    app = web.Application(
        middlewares=[security.headers, errors, staff_csrf], client_max_size=MAX_BODY
    )
    app[K.SETTINGS] = settings
    app[K.SOCKETS] = SocketHub()

    async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
        redis = Redis.from_url(settings.redis_url)
        app[K.REDIS] = redis
        app[K.STORE] = ConversationStore(redis, settings.retention_days * 86400)
        app[K.ACCOUNTS] = AccountStore(redis)
        config = load_config()
        if settings.grace_s is not None:
            config = dataclasses.replace(config, grace_s=settings.grace_s)
        if settings.chat_hours:
            open_at, _, close_at = settings.chat_hours.partition("-")
            config = dataclasses.replace(config, open_at=open_at, close_at=close_at)
        app[K.HANDOFF] = HandoffStore(redis, config)
        yield
        await redis.close()

    async def http_ctx(app: web.Application) -> AsyncIterator[None]:
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))
        app[K.HTTP] = session
        app[K.RASA] = RasaClient(
            session,
            settings.rasa_url,
            settings.action_server_url,
            settings.rasa_timeout_s,
            settings.rasa_token,
        )
        app[K.TRANSLATOR] = build_translator(settings, app[K.REDIS])
        app[K.CSAT] = Csat(app[K.REDIS], app[K.HANDOFF], settings.csat_mode)
        app[K.CONVERSATIONS] = Conversations(
            app[K.STORE], app[K.RASA], app[K.TRANSLATOR], app[K.HANDOFF], csat=app[K.CSAT]
        )
        app[K.DESK] = Desk(
            app[K.REDIS],
            app[K.STORE],
            app[K.HANDOFF],
            app[K.ACCOUNTS],
            app[K.RASA],
            app[K.TRANSLATOR],
            app[K.SOCKETS],
            settings.max_text_chars,
            csat=app[K.CSAT],
        )
        yield
        await session.close()

    async def pubsub_ctx(app: web.Application) -> AsyncIterator[None]:
        desk = app[K.DESK]
        grace = app[K.HANDOFF].config.grace_s
        tasks = [
            asyncio.create_task(app[K.SOCKETS].listen(app[K.REDIS])),
            asyncio.create_task(desk.heartbeat_loop(max(0.2, grace / 3))),
            asyncio.create_task(desk.sweep_loop(settings.sweep_every_s)),
        ]
        if settings.notices_every_s > 0:
            watcher = NoticeWatcher(
                app[K.REDIS], app[K.STORE], settings.instance, settings.notices_every_s
            )
            tasks.append(asyncio.create_task(watcher.run_forever()))
        yield
        await stop_tasks(tasks)

    def warm_up_sync() -> None:
        language.warm_up()
        entities.extract("XB-204518")

    async def warm_up(app: web.Application) -> None:
        # the detector's models and spaCy rules load once, before the first shopper
        await asyncio.get_running_loop().run_in_executor(None, warm_up_sync)

    async def on_shutdown(app: web.Application) -> None:
        await app[K.SOCKETS].close_all()

    app.cleanup_ctx.extend([redis_ctx, http_ctx, pubsub_ctx])
    hooks.on_startup(app, warm_up)
    hooks.on_shutdown(app, on_shutdown)
    api.add_routes(app)
    for channel in CHANNELS:
        channel.add_routes(app)
    auth.add_routes(app)
    desk_protocol.add_routes(app)
    trainer_routes.add_routes(app)  # trainer console: /api/trainer/*, /trainer/
    reports_routes.setup(app)  # review loop: SQL store, stream ingestion, /api/reports/*
    alert_routes.add_routes(app)  # red-light alerts, keywords, weekly digest
    for extend in extensions:
        extend(app)
    pages.add_routes(app)
    return app


def main(extensions: Sequence[Extension] = ()) -> None:
    logs.setup()
    settings = Settings.from_env()
    web.run_app(
        create_app(settings, extensions),
        host=settings.host,
        port=settings.port,
        print=None,
        access_log=None,
    )
