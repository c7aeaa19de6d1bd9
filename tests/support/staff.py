"""Staff logins for in-process gateway tests (aiohttp TestClient)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient


async def bearer(c: TestClient, who: str, password: str) -> dict[str, str]:
    """A bearer header for `who` (the login's session cookie is dropped, so requests carry
    only the header)."""
    resp = await c.post("/api/auth/login", json={"login": who, "password": password})
    assert resp.status == 200, await resp.text()
    c.session.cookie_jar.clear()
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}
