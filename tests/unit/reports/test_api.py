"""Reports API through the real gateway app: import (bad files import nothing), export, summary.

Runs on both backends (the `db` fixture's URL is handed to the gateway as DATABASE_URL).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from aiohttp.test_utils import TestClient

from handoff.reports import routes
from handoff.reports.db import ReportsDB, cases
from tests.support.staff import bearer

HEADER = (
    "created_at,order_id,email,country,sku,issue_type,resolution,refund_amount,currency,channel"
)
GOOD = (
    HEADER + "\n"
    "2026-02-02T10:00:00,XB-1,a@example.com,FR,LAMP-07,damaged_item,return_refund,39.90,EUR,email\n"
    "2026-02-03,UNKNOWN-ORDER,,de,NO-SUCH-SKU,wrong_item,reship,,,\n"
)


async def post_csv(c: TestClient, lead: dict[str, str], body: bytes, kind: str = "text/csv"):  # type: ignore[no-untyped-def]
    return await c.post("/api/reports/import", data=body, headers={**lead, "Content-Type": kind})


async def test_roles_lead_and_admin_only(client: TestClient) -> None:
    agent = await bearer(client, "lena", "demo-lena-2026")
    assert (await client.get("/api/reports/summary", headers=agent)).status == 403
    assert (await client.get("/api/reports/summary")).status == 401
    for who, password in (("nora", "demo-nora-2026"), ("admin", "demo-admin-2026")):
        ok = await client.get("/api/reports/summary", headers=await bearer(client, who, password))
        assert ok.status == 200


async def test_import_export_and_summary(client: TestClient, db: ReportsDB) -> None:
    lead = await bearer(client, "nora", "demo-nora-2026")
    resp = await post_csv(client, lead, GOOD.encode())
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {"rows": 2, "new": 2}
    again = await post_csv(client, lead, GOOD.encode())  # the same file twice: nothing new
    assert await again.json() == {"rows": 2, "new": 0}
    assert db.count(cases) == 2

    export = await client.get("/api/reports/cases.csv", headers=lead)
    text = (await export.read()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:10] == HEADER.split(",")
    by_order = {r["order_id"]: r for r in rows}
    assert by_order["UNKNOWN-ORDER"]["sku"] == "NO-SUCH-SKU"  # unknown kept as given
    assert by_order["UNKNOWN-ORDER"]["country"] == "DE"
    assert by_order["XB-1"]["refund_amount"] == "39.9"
    assert by_order["XB-1"]["created_at"] == "2026-02-02T09:00:00+00:00"  # Paris → UTC
    assert by_order["XB-1"]["source"] == "import"

    summary = await client.get(
        "/api/reports/summary?country=FR&issue_type=damaged_item&from=2026-02-01", headers=lead
    )
    body = await summary.json()
    assert body["rows"] == [
        {"issue_type": "damaged_item", "sku": "LAMP-07", "country": "FR", "week": "2026-02-02",
         "cases": 1, "refunds": 39.9}
    ]  # fmt: skip
    none = await client.get("/api/reports/summary?country=FR&sku=NO-SUCH-SKU", headers=lead)
    assert (await none.json())["rows"] == []


async def test_bad_files_import_nothing(client: TestClient, db: ReportsDB) -> None:
    lead = await bearer(client, "nora", "demo-nora-2026")
    bad = (
        HEADER + ",colour\n"
        "2026-02-02,XB-1,,FR,L,damaged_item,reship,,,,red\n"
        "yesterday,XB-2,,FR,L,damaged_item,reship,,,,red\n"
        "2026-02-02,XB-3,,FR,L,broken_lamp,reship,,,,red\n"
        "2026-02-02,XB-4,,FR,L,damaged_item,reship,ten,,,red\n"
        "2026-02-02,XB-5,,FR\n"
    )
    resp = await post_csv(client, lead, bad.encode())
    assert resp.status == 400
    body = await resp.json()
    assert body["unknown_columns"] == ["colour"]
    reasons = {p["line"]: p["reason"] for p in body["problems"] if p["line"] > 1}
    assert set(reasons) == {3, 4, 5, 6}
    assert "not a date" in reasons[3] and "closing code" in reasons[4]
    assert "not a number" in reasons[5] and "cells" in reasons[6]
    malformed = HEADER + '\n2026-02-02,"XB-1,,FR,L,damaged_item,reship,,,\n'
    resp = await post_csv(client, lead, malformed.encode())
    assert resp.status == 400 and "malformed CSV" in json.dumps(await resp.json())
    empty = await post_csv(client, lead, b"")
    assert empty.status == 400 and "empty" in json.dumps(await empty.json())
    assert (await post_csv(client, lead, b"x", kind="application/pdf")).status == 415
    assert db.count(cases) == 0


async def test_encodings_and_formula_cells(client: TestClient, db: ReportsDB) -> None:
    lead = await bearer(client, "nora", "demo-nora-2026")
    bom = ("\ufeff" + HEADER + "\n2026-02-02,XB-1,zoë@example.com,FR,=HYPERLINK(\"http://x\"),"
           "damaged_item,reship,,,\n").encode("utf-8")  # fmt: skip
    assert (await post_csv(client, lead, bom)).status == 200
    latin = (
        HEADER + "\n2026-02-03,XB-2,rené@example.fr,FR,@SUM(A1),wrong_item,reship,,,\n"
    ).encode("latin-1")
    assert (await post_csv(client, lead, latin)).status == 200
    ndjson = json.dumps({"created_at": "2026-02-04", "order_id": "-1+1", "issue_type": "other",
                         "resolution": "answered"}).encode()  # fmt: skip
    resp = await post_csv(client, lead, ndjson, kind="application/x-ndjson")
    assert resp.status == 200, await resp.text()
    text = (await (await client.get("/api/reports/cases.csv", headers=lead)).read()).decode(
        "utf-8-sig"
    )
    rows = {r["order_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["XB-1"]["email"] == "zoë@example.com"
    assert rows["XB-1"]["sku"] == '\'=HYPERLINK("http://x")'
    assert rows["XB-2"]["email"] == "rené@example.fr" and rows["XB-2"]["sku"] == "'@SUM(A1)"
    assert "'-1+1" in rows
    for row in rows.values():
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())


async def test_huge_file_is_refused_while_streaming(
    client: TestClient, db: ReportsDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "MAX_IMPORT_BYTES", 100_000)
    lead = await bearer(client, "nora", "demo-nora-2026")
    line = b"2026-02-02,XB-1,,FR,L,damaged_item,reship,,,\n"

    async def body():  # type: ignore[no-untyped-def]
        yield HEADER.encode() + b"\n"
        for _ in range(5000):  # chunked: no Content-Length to refuse up front
            yield line * 10

    resp = await client.post(
        "/api/reports/import", data=body(), headers={**lead, "Content-Type": "text/csv"}
    )
    assert resp.status == 413
    assert db.count(cases) == 0


async def test_alerts_fire_for_an_imported_cluster_and_explain_it(
    client: TestClient, db: ReportsDB
) -> None:
    """Imported cases count like live ones: nine damaged lamps to France this week against
    one a week before fire the red light; a steady background does not."""
    import datetime as dt

    now = dt.datetime.now(dt.timezone.utc)
    rows = [HEADER]
    for n in range(9):
        at = now - dt.timedelta(hours=2 + n)
        rows.append(f"{at.isoformat()},XB-L{n},l{n}@example.com,FR,LAMP-07,damaged_item,reship,,,")
    for week in range(1, 9):
        at = now - dt.timedelta(days=7 * week + 1)
        rows.append(f"{at.isoformat()},XB-B{week},b@example.com,FR,LAMP-07,damaged_item,reship,,,")
        for k in range(2):  # a mug that always gets two sizing complaints a week
            at2 = at - dt.timedelta(hours=k)
            rows.append(
                f"{at2.isoformat()},XB-M{week}{k},m@example.com,DE,MUG-1,wrong_item,reship,,,"
            )
    for k in range(2):
        at = now - dt.timedelta(hours=5 + k)
        rows.append(f"{at.isoformat()},XB-MC{k},m@example.com,DE,MUG-1,wrong_item,reship,,,")
    lead = await bearer(client, "nora", "demo-nora-2026")
    resp = await post_csv(client, lead, "\n".join(rows).encode())
    assert resp.status == 200, await resp.text()

    agent = await bearer(client, "lena", "demo-lena-2026")
    assert (await client.get("/api/reports/alerts", headers=agent)).status == 403
    found = await (await client.get("/api/reports/alerts", headers=lead)).json()
    lamp = [a for a in found if a["sku"] == "LAMP-07" and a["country"] == "FR"]
    assert len(lamp) == 1, found
    alert = lamp[0]
    assert alert["issue_type"] == "damaged_item" and alert["count"] == 9
    assert alert["baseline_per_week"] == 1.0 and alert["rate_ratio"] >= 2 and alert["p"] <= 0.05
    assert "LAMP-07" in alert["text"] and "FR" in alert["text"]
    assert not [a for a in found if a["sku"] == "MUG-1"]
