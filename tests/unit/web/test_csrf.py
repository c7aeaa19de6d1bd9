"""A sibling subdomain can't use a staff cookie to change anything (real app, real Redis)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from handoff.dev.gateway import dev_extras
from handoff.settings import Settings
from handoff.web.app import create_app

OURS = "http://127.0.0.1:8080"


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[TestClient]:
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.close()
    settings = Settings(redis_url=redis_url, public_url=OURS, demo_accounts=True)
    c = TestClient(TestServer(create_app(settings, [dev_extras])))
    await c.start_server()
    yield c
    await c.close()


async def login(client: TestClient) -> str:
    resp = await client.post(
        "/api/auth/login", json={"login": "tom", "password": "demo-tom-2026"},
        headers={"Origin": OURS},
    )  # fmt: skip
    assert resp.status == 200, await resp.text()
    return str((await resp.json())["token"])


async def test_cookie_post_from_a_sibling_origin_is_refused(client: TestClient) -> None:
    await login(client)
    resp = await client.post(
        "/api/auth/logout", data="x", headers={"Origin": "https://evil.shop.example",
                                               "Content-Type": "text/plain"},
    )  # fmt: skip
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "cross_site_request"
    assert (await client.get("/api/auth/me")).status == 200  # still logged in


async def test_cookie_post_without_origin_is_refused(client: TestClient) -> None:
    await login(client)
    assert (await client.post("/api/auth/logout")).status == 403


async def test_our_own_pages_and_bearer_tools_pass(client: TestClient) -> None:
    token = await login(client)
    resp = await client.post("/api/auth/logout", headers={"Origin": OURS})
    assert resp.status == 200
    client.session.cookie_jar.clear()
    token = await login(client)
    client.session.cookie_jar.clear()
    resp = await client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 200


async def test_shopper_endpoints_are_not_staff_routes(client: TestClient) -> None:
    await login(client)  # even with a staff cookie around, shoppers post from shop pages
    resp = await client.post(
        "/api/conversations/csrf-conv-1/messages", json={"text": ""},
        headers={"Origin": "https://some-shop.example"},
    )  # fmt: skip
    assert resp.status == 400  # validated, not refused as cross-site
