"""`python -m handoff.dev.gateway`: the gateway with development extras.

What `make run` and the test stack start: the production app from `handoff.web.app` plus
the demo team's accounts (DEMO_ACCOUNTS=1) and the test-only routes (GATEWAY_TEST_HOOKS=1).
"""

from __future__ import annotations

from aiohttp import web

from handoff.dev import testhooks
from handoff.dev.demo import seed_demo
from handoff.settings import Settings
from handoff.web import appkeys as K
from handoff.web import hooks
from handoff.web.app import main


def dev_extras(app: web.Application) -> None:
    settings: Settings = app[K.SETTINGS]
    if settings.demo_accounts:

        async def seed(app: web.Application) -> None:
            await seed_demo(app[K.REDIS])

        hooks.on_startup(app, seed)
    if settings.test_hooks:
        testhooks.add_routes(app)


if __name__ == "__main__":
    main([dev_extras])
