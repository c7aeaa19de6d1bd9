"""Alert lifecycle through the real gateway app, on SQLite and PostgreSQL: a stable id,
open → acknowledged → resolved with note and owner, and a resolved alert stays quiet."""

from __future__ import annotations

import time

from aiohttp.test_utils import TestClient

from handoff.reports import lifecycle
from handoff.reports.db import ReportsDB, alert_states
from tests.support.staff import bearer
from tests.unit.reports.test_api import post_csv

HEADER = (
    "created_at,order_id,email,country,sku,issue_type,resolution,refund_amount,currency,channel"
)


def spike_csv(n: int = 5, sku: str = "ZZ-LAMP") -> bytes:
    now = time.time()
    rows = [
        f"{now - 3600 * (i + 1):.0f},XB-{i},s{i}@example.com,FR,{sku},damaged_item,"
        "return_refund,20,EUR,email"
        for i in range(n)
    ]
    return (HEADER + "\n" + "\n".join(rows) + "\n").encode()


async def firing(c: TestClient, lead: dict[str, str], query: str = "") -> list[dict]:
    resp = await c.get("/api/reports/alerts" + query, headers=lead)
    assert resp.status == 200, await resp.text()
    return [a for a in await resp.json() if a["sku"] == "ZZ-LAMP" and a["country"] == "FR"]


async def test_ack_then_resolve_with_owner_and_note(client: TestClient, db: ReportsDB) -> None:
    lead = await bearer(client, "nora", "demo-nora-2026")
    assert (await post_csv(client, lead, spike_csv())).status == 200
    [alert] = await firing(client, lead)
    assert alert["state"] == "open" and alert["owner"] is None
    assert alert["alert_id"].startswith("A-") and alert["count"] == 5
    [again] = await firing(client, lead)
    assert again["alert_id"] == alert["alert_id"]  # stable across recomputations

    url = f"/api/reports/alerts/{alert['alert_id']}"
    resp = await client.post(
        url + "/ack", json={"note": "checking the supplier", "owner": "nora"}, headers=lead
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["state"] == "acknowledged"
    [acked] = await firing(client, lead)
    assert (acked["state"], acked["owner"], acked["note"]) == (
        "acknowledged",
        "nora",
        "checking the supplier",
    )

    resp = await client.post(
        url + "/resolve", json={"note": "batch pulled", "owner": "admin"}, headers=lead
    )
    assert resp.status == 200, await resp.text()
    assert await firing(client, lead) == []  # resolved: not listed again this week
    [kept] = await firing(client, lead, "?state=all")
    assert (kept["state"], kept["owner"], kept["note"]) == ("resolved", "admin", "batch pulled")
    # more cases of the same cell this week: still resolved, still quiet
    assert (await post_csv(client, lead, spike_csv(8))).status == 200
    assert await firing(client, lead) == []
    again_resolve = await client.post(url + "/resolve", json={"note": "x"}, headers=lead)
    assert again_resolve.status == 409
    assert lifecycle.states(db, [alert["alert_id"]])[alert["alert_id"]]["updated_by"] == "nora"
    assert db.count(alert_states) == 1


async def test_bad_requests(client: TestClient) -> None:
    lead = await bearer(client, "nora", "demo-nora-2026")
    agent = await bearer(client, "lena", "demo-lena-2026")
    assert (await post_csv(client, lead, spike_csv())).status == 200
    [alert] = await firing(client, lead)
    url = f"/api/reports/alerts/{alert['alert_id']}/ack"
    unknown = await client.post("/api/reports/alerts/A-0123456789abcdef/ack", json={}, headers=lead)
    assert unknown.status == 404
    bad = await client.post(
        url, data=b"{not json", headers={**lead, "Content-Type": "application/json"}
    )
    assert bad.status == 400, await bad.text()
    assert (await client.post(url, json=["x"], headers=lead)).status == 400
    assert (await client.post(url, json={"owner": "nobody-here"}, headers=lead)).status == 400
    assert (await client.post(url, json={"note": 5}, headers=lead)).status == 400
    assert (await client.post(url, json={}, headers=agent)).status == 403
    assert (await client.post(url, json={})).status == 401
    [still] = await firing(client, lead)
    assert still["state"] == "open"  # nothing above changed it
    ok = await client.post(url, json={}, headers=lead)  # owner defaults to the caller
    assert (await ok.json())["owner"] == "nora"


async def test_cookie_write_from_another_site_is_refused(client: TestClient) -> None:
    lead = await bearer(client, "nora", "demo-nora-2026")
    assert (await post_csv(client, lead, spike_csv())).status == 200
    [alert] = await firing(client, lead)
    login = await client.post(
        "/api/auth/login", json={"login": "nora", "password": "demo-nora-2026"}
    )
    assert login.status == 200
    url = f"/api/reports/alerts/{alert['alert_id']}/ack"
    evil = await client.post(url, json={}, headers={"Origin": "https://evil.example"})
    assert evil.status == 403
    [still] = await firing(client, lead)
    assert still["state"] == "open"
