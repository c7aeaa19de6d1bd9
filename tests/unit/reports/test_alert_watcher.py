"""The alert watcher against real Redis, a real SQL file and a real HTTP webhook receiver:
two watchers tell each new alert once (console frame to leads only, one webhook POST), the
webhook retries with backoff and gives up quietly, and a lead's console socket gets the frame."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from handoff import events, keys
from handoff.accounts.store import Account, AccountStore
from handoff.dev.gateway import dev_extras
from handoff.dev.launcher import free_port
from handoff.reports.db import ReportsDB, alert_states
from handoff.reports.watcher import AlertWatcher
from handoff.reports.webhook import Webhook
from handoff.settings import Settings
from handoff.tasks import stop_tasks
from handoff.web.app import create_app


class Receiver:
    """A webhook endpoint on a real loopback port; `script` says what status each hit gets."""

    def __init__(self, script: list[int] | None = None) -> None:
        self.hits: list[dict[str, Any]] = []
        self.script = list(script or [])
        app = web.Application()
        app.router.add_post("/hook", self.hook)
        self.server = TestServer(app, port=free_port())

    async def hook(self, request: web.Request) -> web.Response:
        self.hits.append(await request.json())
        return web.Response(status=self.script.pop(0) if self.script else 200)

    @property
    def url(self) -> str:
        return str(self.server.make_url("/hook"))


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.server.start_server()
    yield r
    await r.server.close()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.close()


def spike(db: ReportsDB, n: int = 6) -> None:
    now = time.time()
    rows = [
        db.case_row(
            {"case_id": f"C-W{i}", "created_at": now - 600 * (i + 1), "country": "FR",
             "sku": "ZZ-LAMP", "issue_type": "damaged_item", "resolution": "return_refund"},
            "import",
        )
        for i in range(n)
    ]  # fmt: skip
    db.upsert_cases(rows)


async def seed_accounts(redis: Redis) -> AccountStore:
    accounts = AccountStore(redis)
    await accounts.save(Account("nora", "Nora", roles=("lead",)), "pw-nora-2026-long")
    await accounts.save(Account("lena", "Lena", roles=("agent",)), "pw-lena-2026-long")
    return accounts


async def listen(redis: Redis, logins: list[str], into: dict[str, list[Any]]) -> None:
    pubsub = redis.pubsub()
    await pubsub.subscribe(*[keys.agent_channel(x) for x in logins])
    try:
        while True:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            if msg:
                login = msg["channel"].decode().rsplit(":", 1)[-1]
                into.setdefault(login, []).append(json.loads(msg["data"]))
    finally:
        await pubsub.close()


async def until(predicate: Any, timeout_s: float = 15.0) -> None:
    """Wait for a condition instead of a fixed sleep: a loaded CI machine is slow, not wrong."""
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(0.05)


async def test_two_watchers_tell_each_new_alert_once(
    redis: Redis, receiver: Receiver, tmp_path: Path
) -> None:
    db = ReportsDB(f"sqlite:///{tmp_path / 'r.sqlite3'}", zone=ZoneInfo("Europe/Paris"))
    spike(db)
    accounts = await seed_accounts(redis)
    heard: dict[str, list[Any]] = {}
    listener = asyncio.create_task(listen(redis, ["nora", "lena"], heard))

    async def subscribed() -> bool:
        counts = await redis.pubsub_numsub(keys.agent_channel("nora"), keys.agent_channel("lena"))
        return all(n > 0 for _, n in counts)

    await until(subscribed)
    async with aiohttp.ClientSession() as session:
        watchers = [
            AlertWatcher(redis, db, accounts, f"gw-{i}", every_s=0.2,
                         webhook=Webhook(session, receiver.url, backoff_s=0.05))
            for i in (1, 2)
        ]  # fmt: skip
        tasks = [asyncio.create_task(w.run_forever()) for w in watchers]

        async def told() -> bool:
            return len(receiver.hits) >= 1 and len(receiver.hits) >= db.count(alert_states)

        await until(told)
        await asyncio.sleep(1.0)  # several more rounds each: nothing may be told again
        # and two computations at the very same moment still tell nothing twice
        assert await asyncio.gather(*[w.scan_once() for w in watchers]) == [[], []]
        await stop_tasks(tasks)
        for w in watchers:
            assert w.webhook is not None
            await w.webhook.close()

    async def framed() -> bool:
        return len(heard.get("nora", [])) >= len(receiver.hits)

    await until(framed, 5.0)
    await asyncio.sleep(0.2)  # a duplicate frame, were there one, would arrive now
    await stop_tasks([listener])

    stored = db.count(alert_states)
    assert stored >= 1  # the SKU×country and the SKU-everywhere cells
    ids = [hit["alert"]["alert_id"] for hit in receiver.hits]
    assert len(ids) == len(set(ids)) == stored
    lamp = next(h for h in receiver.hits if h["alert"]["country"] == "FR")
    assert lamp["text"].startswith("Damaged: 6 for ZZ-LAMP in FR this week")
    assert "/console/reports?sku=ZZ-LAMP&country=FR&issue_type=damaged_item&from=" in lamp["text"]
    frames = heard.get("nora", [])
    assert [f["event"] for f in frames] == [events.ALERT] * stored
    assert {f["alert"]["alert_id"] for f in frames} == set(ids)
    assert "lena" not in heard  # agents without the lead role get nothing
    db.engine.dispose()


async def test_webhook_retries_then_gives_up_quietly(receiver: Receiver) -> None:
    alert = {"alert_id": "A-1", "text": "Damaged: 3 for X", "cases_url": "/c"}
    async with aiohttp.ClientSession() as session:
        receiver.script = [500, 503, 200]
        hook = Webhook(session, receiver.url, "http://gw", attempts=4, backoff_s=0.05)
        assert await hook.deliver(alert) is True
        assert len(receiver.hits) == 3
        assert receiver.hits[0] == {"text": "Damaged: 3 for X <http://gw/c|cases>", "alert": alert}

        receiver.hits.clear()
        receiver.script = [400]
        assert await hook.deliver(alert) is False  # refused for good: no retry
        assert len(receiver.hits) == 1

        receiver.hits.clear()
        receiver.script = [500] * 10
        assert await hook.deliver(alert) is False
        assert len(receiver.hits) == 4  # attempts

        dead = Webhook(session, f"http://127.0.0.1:{free_port()}/x", attempts=2, backoff_s=0.05)
        started = time.monotonic()
        dead.send_later(alert)  # returns at once; the failure is logged, not raised
        assert time.monotonic() - started < 0.05
        await dead.close()


async def test_a_leads_console_socket_shows_the_new_alert(
    redis_url: str, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Redis.from_url(redis_url)
    await client.flushdb()
    await client.close()
    db = ReportsDB(f"sqlite:///{tmp_path / 'gw.sqlite3'}", zone=ZoneInfo("Europe/Paris"))
    monkeypatch.setenv("DATABASE_URL", str(db.engine.url))
    monkeypatch.setenv("SHOP_TIMEZONE", "Europe/Paris")
    settings = Settings(
        redis_url=redis_url, demo_accounts=True, alerts_every_s=0.3,
        alert_webhook_url=receiver.url,
    )  # fmt: skip
    c = TestClient(TestServer(create_app(settings, [dev_extras])))
    await c.start_server()
    try:
        resp = await c.post(
            "/api/auth/login", json={"login": "admin", "password": "demo-admin-2026"}
        )
        token = (await resp.json())["token"]
        c.session.cookie_jar.clear()
        ws = await c.ws_connect("/ws/agent", headers={"Authorization": f"Bearer {token}"})
        spike(db)
        deadline = time.monotonic() + 10
        frame = None
        while frame is None and time.monotonic() < deadline:
            msg = await ws.receive_json(timeout=10)
            if msg["type"] == events.ALERT and msg["alert"]["country"] == "FR":
                frame = msg["alert"]
        assert frame is not None
        assert frame["text"].startswith("Damaged: 6 for ZZ-LAMP in FR")
        assert frame["state"] == "open" and frame["alert_id"].startswith("A-")
        assert frame["cases_url"].startswith("/console/reports?sku=ZZ-LAMP")
        await ws.close()
    finally:
        await c.close()
        db.engine.dispose()
