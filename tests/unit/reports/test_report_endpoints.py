"""Trend, loss, KPIs and the cases behind them, through the real gateway app on both backends.

The data is the generated 12-week history (shop/history.py) loaded the way the browser tests
load it, plus events for a few conversations (second closes, two agents, CSAT answers,
coupons) so the event-based KPIs have something to count. Every number a section shows is
checked against the drill-down the page opens for it: same filters, same count.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from handoff.cases.events import Event
from handoff.reports import breakdowns, case_facts, kpi_table
from handoff.reports.db import (
    CASE_INDEXES,
    DERIVED,
    MIGRATIONS,
    ReportsDB,
    cases,
    schema_version,
    weekly_shipped,
)
from handoff.web import appkeys as K
from shop.catalog import BY_SKU
from shop.history import History, carrier_for, generate_history
from shop.policy import load_policies
from tests.support.staff import bearer

END = datetime(2030, 1, 7, tzinfo=timezone.utc)
ENDPOINTS = ("trend", "loss", "kpis", "cases")
_HISTORY: list[History] = []


def history() -> History:
    if not _HISTORY:
        _HISTORY.append(generate_history(END, seed=7))
    return _HISTORY[0]


def load(db: ReportsDB) -> History:
    h = history()
    with db.writer.begin() as conn:  # the gateway seeded the shop's own orders at start
        conn.execute(weekly_shipped.delete())
    db.put_shipped(h.shipped)
    db.upsert_cases(
        [db.case_row({**r, "carrier": carrier_for(r["order_id"])}, "import") for r in h.cases]
    )
    return h


def people_cases(h: History, n: int) -> list[dict[str, Any]]:
    return [c for c in h.cases if c["resolved_by"] not in ("bot",)][:n]


def plant_events(db: ReportsDB, h: History) -> dict[str, Any]:
    """Events for six handed-off conversations: two FCR misses, two CSAT answers, a coupon."""
    picked = people_cases(h, 6)
    batch: list[Event] = []
    for i, c in enumerate(picked):
        conv, at, agent = c["conversation_id"], c["created_at"], c["resolved_by"]
        batch += [
            Event("escalated", conv, {"reasons": ["asked_for_human"]}, at=at),
            Event("claimed", conv, {"agent": agent, "waited_s": 30.0}, at=at + 30),
            Event("first_human_reply", conv, {"agent": agent}, at=at + 60),
            Event("closed", conv, {"agent": agent}, at=at + 600 + i),
        ]
    batch.append(Event("closed", picked[0]["conversation_id"], {"agent": "x"}, at=1e10))
    batch.append(Event("claimed", picked[1]["conversation_id"], {"agent": "zed"}, at=1e10))
    for c, rating in ((picked[2], 1), (picked[3], 5)):
        batch.append(Event("csat_asked", c["conversation_id"], {}, at=c["created_at"] + 700))
        batch.append(
            Event(
                "csat_answered", c["conversation_id"], {"rating": rating}, at=c["created_at"] + 800
            )
        )
    batch.append(Event("csat_asked", picked[4]["conversation_id"], {}, at=1e10))
    coupon = {"value": 10, "currency": "EUR", "kind": "fixed", "code": "SORRY10"}
    batch.append(Event("coupon_issued", picked[5]["conversation_id"], coupon, at=1e10))
    db.add_events(batch)
    return {"picked": picked}


async def lead_of(c: TestClient) -> dict[str, str]:
    return await bearer(c, "nora", "demo-nora-2026")


async def get(c: TestClient, auth: dict[str, str], path: str, **params: Any) -> Any:
    query = {k: str(v) for k, v in params.items() if v is not None}
    resp = await c.get(f"/api/reports/{path}", params=query, headers=auth)
    assert resp.status == 200, (path, params, await resp.text())
    return await resp.json()


async def drilled(c: TestClient, auth: dict[str, str], **params: Any) -> int:
    return int((await get(c, auth, "cases", limit=1, **params))["total"])


def week_range(filters: dict[str, Any], week: str) -> dict[str, Any]:
    """format.js weekRange: the week's Monday to Sunday, inside the page's own dates."""
    end = (datetime.fromisoformat(week) + (datetime(2000, 1, 8) - datetime(2000, 1, 2))).date()
    to = end.isoformat()
    low, high = filters.get("from"), filters.get("to")
    return {
        **filters,
        "from": low if low and low > week else week,
        "to": high if high and high < to else to,
    }


async def test_roles_and_bad_input(client: TestClient) -> None:
    agent = await bearer(client, "lena", "demo-lena-2026")
    for path in ENDPOINTS:
        assert (await client.get(f"/api/reports/{path}", headers=agent)).status == 403, path
        assert (await client.get(f"/api/reports/{path}")).status == 401, path
    lead = await lead_of(client)
    admin = await bearer(client, "admin", "demo-admin-2026")
    for path in ENDPOINTS:
        assert (await client.get(f"/api/reports/{path}", headers=admin)).status == 200, path
    bad = [
        ("trend", {"by": "colour"}, "bad_by"),
        ("loss", {"by": "agent"}, "bad_by"),
        ("kpis", {"by": "sku"}, "bad_by"),
        ("trend", {"from": "2026-02-30"}, "bad_date"),
        ("loss", {"to": "yesterday"}, "bad_date"),
        ("kpis", {"from": "2026-03-02", "to": "2026-03-01"}, "bad_date"),
        ("cases", {"from": "03/02/2026"}, "bad_date"),
        ("trend", {"colour": "red"}, "unknown_filter"),
        ("cases", {"by": "sku"}, "unknown_filter"),
        ("cases", {"limit": "201"}, "bad_limit"),
        ("cases", {"limit": "0"}, "bad_limit"),
        ("cases", {"limit": "ten"}, "bad_limit"),
        ("cases", {"after": "not-a-cursor!"}, "bad_cursor"),
        ("cases", {"after": "WzEsMl0"}, "bad_cursor"),  # [1,2]: JSON, but no cursor
        ("cases", {"metric": "happiness"}, "bad_metric"),
    ]
    for path, params, code in bad:
        resp = await client.get(f"/api/reports/{path}", params=params, headers=lead)
        assert resp.status == 400, (path, params, resp.status)
        body = await resp.json()
        assert body["error"]["code"] == code, (path, params, body)
        assert body["error"]["message"]


async def test_empty_database_shapes(client: TestClient) -> None:
    lead = await lead_of(client)
    assert await get(client, lead, "trend", by="sku") == {"by": "sku", "weeks": [], "series": []}
    loss = await get(client, lead, "loss", by="supplier")
    assert loss["rows"] == [] and loss["total"]["cases"] == 0 and loss["currency"] == "EUR"
    assert (await get(client, lead, "kpis"))["rows"] == []
    assert await get(client, lead, "cases") == {"total": 0, "cases": [], "rows": [], "next": None}


async def test_trend_numbers_drill_down_to_their_cases(client: TestClient, db: ReportsDB) -> None:
    h = load(db)
    lead = await lead_of(client)
    filters = {"from": "2029-10-20", "to": "2030-01-03"}  # both ends cut a week
    in_range = [c for c in h.cases if filters["from"] <= day(db, c) <= filters["to"]]
    for by in breakdowns.TREND_BY:
        data = await get(client, lead, "trend", by=by, **filters)
        assert data["by"] == by
        assert data["weeks"][0] == "2029-10-15" and data["weeks"][-1] == "2029-12-31"
        assert all(len(s["counts"]) == len(data["weeks"]) for s in data["series"])
        assert sum(sum(s["counts"]) for s in data["series"]) == len(in_range)
        named = [s for s in data["series"] if s["key"] != "other"]
        assert 0 < len(named) <= breakdowns.TOP
        totals = [sum(s["counts"]) for s in named]
        assert totals == sorted(totals, reverse=True)
        for s in named[:2]:
            for week, n in zip(data["weeks"], s["counts"], strict=True):
                assert (
                    await drilled(client, lead, **week_range({**filters, by: s["key"]}, week)) == n
                )
    supplier = await get(client, lead, "trend", by="supplier")
    expected = Counter(BY_SKU[c["sku"]].supplier for c in h.cases)
    assert {s["key"]: sum(s["counts"]) for s in supplier["series"]} == dict(expected)


def day(db: ReportsDB, case: dict[str, Any]) -> str:
    return datetime.fromtimestamp(case["created_at"], db.zone).date().isoformat()


async def test_loss_rows_match_the_cases_and_orders_shipped(
    client: TestClient, db: ReportsDB
) -> None:
    h = load(db)
    plant_events(db, h)
    lead = await lead_of(client)
    policies = load_policies()
    eur = policies.fx_per_usd["EUR"]
    for by in breakdowns.LOSS_BY:
        data = await get(client, lead, "loss", by=by)
        assert data["by"] == by and data["currency"] == "EUR"
        rows, total = data["rows"], data["total"]
        assert [r["total"] for r in rows] == sorted((r["total"] for r in rows), reverse=True)
        assert sum(r["cases"] for r in rows) == total["cases"] == len(h.cases)
        assert sum(r["total"] for r in rows) == pytest.approx(total["total"], abs=0.5)
        assert sum(r["share_of_loss"] for r in rows) == pytest.approx(1.0, abs=0.005)
        for r in rows[:4]:
            assert r["key"] is not None
            assert await drilled(client, lead, **{by: r["key"]}) == r["cases"], (by, r["key"])
            assert r["total"] == pytest.approx(
                r["refund"] + r["compensation"] + r["reship"], abs=0.02
            )
    orders = sum(s["orders"] for s in h.shipped)
    by_sku = {r["key"]: r for r in (await get(client, lead, "loss", by="sku"))["rows"]}
    lamp = by_sku["HM-403"]
    lamp_cases = [c for c in h.cases if c["sku"] == "HM-403"]
    assert lamp["cases"] == len(lamp_cases)
    assert lamp["orders_shipped"] == sum(s["orders"] for s in h.shipped if s["sku"] == "HM-403")
    assert lamp["complaint_rate"] == round(lamp["cases"] / lamp["orders_shipped"], 4)
    reships = sum(1 for c in lamp_cases if c["resolution"] == "reship")
    assert reships > 0
    assert lamp["reship"] == pytest.approx(reships * BY_SKU["HM-403"].unit_cost_usd * eur, abs=0.01)
    refund = sum((c["refund_amount"] or 0) / policies.fx_per_usd[c["currency"]] for c in lamp_cases)
    assert lamp["refund"] == pytest.approx(refund * eur, abs=0.05)
    issue = await get(client, lead, "loss", by="issue_type")
    assert issue["total"]["orders_shipped"] == orders
    assert issue["total"]["compensation"] == 10.0  # the fixed EUR 10 coupon
    carrier = await get(client, lead, "loss", by="carrier")
    assert {r["key"] for r in carrier["rows"]} == {"NimbusPost", "TerraLink", "SkyBridge Express"}
    assert all(r["orders_shipped"] is None for r in carrier["rows"])  # not kept per carrier
    fr = await get(client, lead, "loss", by="supplier", country="FR", issue_type="damaged_item")
    assert fr["total"]["cases"] == sum(
        1 for c in h.cases if c["country"] == "FR" and c["issue_type"] == "damaged_item"
    )


async def test_kpi_numbers_drill_down_to_their_cases(client: TestClient, db: ReportsDB) -> None:
    h = load(db)
    planted = plant_events(db, h)["picked"]
    lead = await lead_of(client)
    everyone = await get(client, lead, "kpis", by="all")
    (row,) = everyone["rows"]
    assert row["key"] == "all" and row["cases"] == len(h.cases) == row["conversations"]
    people = [c for c in h.cases if c["resolved_by"] != "bot"]
    assert row["handed_off"] == len(people)
    assert row["bot_resolved"] == len(h.cases) - len(people)
    assert row["handoff_rate"] == round(len(people) / len(h.cases), 4)
    assert row["fcr_misses"] == 2  # a second close, a second agent
    assert row["fcr"] == round((len(people) - 2) / len(people), 4)
    breached = [c for c in h.cases if c["sla_breached"]]
    assert row["sla_misses"] == len(breached) > 0
    assert row["csat"] == {"score": 3.0, "response_rate": round(2 / 3, 4), "answered": 2, "low": 1}
    assert row["first_response_s"]["n"] == len(people)
    assert row["resolution_s"]["n"] == 6  # the conversations with events
    closes = sorted(600.0 + i for i in range(6))
    assert row["resolution_s"]["median"] == pytest.approx((closes[2] + closes[3]) / 2, abs=0.1)
    assert row["reply_s"]["n"] == len(people)
    assert row["first_response_bh_s"]["n"] == len(people)
    assert row["first_response_bh_s"]["median"] <= row["first_response_s"]["median"]
    orders = sum(s["orders"] for s in h.shipped)
    assert row["complaint_rate"] == round(len(h.cases) / orders, 4)
    checks = {
        "handed_off": row["handed_off"],
        "bot_resolved": row["bot_resolved"],
        "fcr_miss": row["fcr_misses"],
        "sla_miss": row["sla_misses"],
        "csat_low": row["csat"]["low"],
        None: row["cases"],
    }
    for metric, n in checks.items():
        assert await drilled(client, lead, metric=metric) == n, metric
    miss = await get(client, lead, "cases", metric="fcr_miss")
    assert {c["case_id"] for c in miss["cases"]} == {planted[0]["case_id"], planted[1]["case_id"]}

    for by in ("agent", "team"):
        data = await get(client, lead, "kpis", by=by)
        keys = Counter(c["resolved_by"] for c in people) if by == "agent" else None
        if keys is not None:
            assert {r["key"]: r["cases"] for r in data["rows"]} == dict(keys)
        assert sum(r["handed_off"] for r in data["rows"]) == len(people)
        for r in data["rows"][:3]:
            for metric, field in (("handed_off", "handed_off"), ("sla_miss", "sla_misses")):
                assert await drilled(client, lead, metric=metric, **{by: r["key"]}) == r[field]
    teams = {r["key"] for r in (await get(client, lead, "kpis", by="team"))["rows"]}
    assert teams <= {"billing", "logistics", "general"} and "logistics" in teams


async def test_case_pages_are_stable_and_complete(client: TestClient, db: ReportsDB) -> None:
    h = load(db)
    lead = await lead_of(client)
    filters = {"country": "FR"}
    want = sorted((c["created_at"], c["case_id"]) for c in h.cases if c["country"] == "FR")
    seen: list[tuple[float, str]] = []
    after = None
    while True:
        page = await get(client, lead, "cases", limit=37, after=after, **filters)
        assert page["total"] == len(want)
        assert len(page["cases"]) <= 37
        seen += [(c["created_at"], c["case_id"]) for c in page["cases"]]
        after = page["next"]
        if after is None:
            break
    assert seen == want
    first = (await get(client, lead, "cases", limit=3, **filters))["cases"][0]
    for field in ("case_id", "created_at", "conversation_id", "order_id", "country", "sku"):
        assert first[field] is not None, field
    for field in ("issue_type", "resolution", "channel", "supplier", "warehouse", "carrier"):
        assert first[field] is not None, field
    assert first["supplier"] == BY_SKU[first["sku"]].supplier


async def test_transcript_page_and_leads_read_transcripts(client: TestClient) -> None:
    page = await client.get("/console/reports/transcript?conversation=abc")
    assert page.status == 200
    html = await page.text()
    assert '<script type="module" src="/static/reports/transcript.js"></script>' in html
    assert "<script>" not in html and "onclick" not in html and "style=" not in html
    csp = page.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    js = await (await client.get("/static/reports/transcript.js")).text()
    assert "innerHTML" not in js and "eval(" not in js
    store = client.server.app[K.STORE]
    await store.append("conv-read-1", {"speaker": "shopper", "text": "<b>where is my parcel</b>"})
    lead = await lead_of(client)
    got = await client.get("/api/conversations/conv-read-1", headers=lead)
    assert got.status == 200
    entries = (await got.json())["transcript"]
    assert [e["text"] for e in entries] == ["<b>where is my parcel</b>"]
    assert (await client.get("/api/conversations/conv-read-1")).status == 403  # no session


def test_migration_5_adds_and_backfills_the_columns(db: ReportsDB) -> None:
    h = history()
    db.upsert_cases([db.case_row(r, "import") for r in h.cases[:50]])
    with db.engine.begin() as conn:  # back to a schema before migration 5 (and so 7 and 8)
        for index in case_facts.INDEXES:  # migration 7's indexes name the derived columns
            conn.execute(sa.text(f"DROP INDEX IF EXISTS {index}"))
        for index in CASE_INDEXES:  # migration 8's indexes use the columns: they go too
            conn.execute(sa.text(f"DROP INDEX IF EXISTS {index.name}"))
        conn.execute(schema_version.delete().where(schema_version.c.version.in_((7, 8))))
        for name in DERIVED:
            conn.execute(sa.text(f"ALTER TABLE cases DROP COLUMN {name}"))
        conn.execute(sa.text("DROP TABLE weekly_shipped"))
        conn.execute(schema_version.delete().where(schema_version.c.version.in_((5, 8))))
    again = ReportsDB(db.engine.url.render_as_string(hide_password=False), zone=ZoneInfo("UTC"))
    try:
        with again.engine.connect() as conn:
            rows = conn.execute(sa.select(cases).order_by(cases.c.case_id)).mappings().all()
            versions = conn.execute(sa.select(schema_version.c.version)).scalars().all()
        assert sorted(versions) == sorted(MIGRATIONS)
        assert len(rows) == 50
        for r, src in zip(rows, h.cases[:50], strict=True):
            assert r["supplier"] == BY_SKU[src["sku"]].supplier
            assert r["warehouse"] is not None
            person = src["resolved_by"] != "bot"
            assert r["agent"] == (src["resolved_by"] if person else None)
            assert (r["team"] is not None) == person
        assert again.put_shipped(h.shipped[:10]) == 10
    finally:
        again.engine.dispose()


def test_business_hours_count_only_opening_hours() -> None:
    hours = kpi_table.BusinessHours(
        ZoneInfo("Europe/Paris"), frozenset(range(5)), 9 * 3600, 18 * 3600
    )
    paris = ZoneInfo("Europe/Paris")
    friday = datetime(2026, 3, 6, 17, 0, tzinfo=paris).timestamp()
    monday = datetime(2026, 3, 9, 10, 0, tzinfo=paris).timestamp()
    assert hours.seconds(friday, monday) == 7200.0
    night = datetime(2026, 3, 4, 20, 0, tzinfo=paris).timestamp()
    assert hours.seconds(night, night + 3600) == 0.0
    assert hours.seconds(monday, monday - 5) == 0.0
    default = kpi_table.business_hours(paris)
    assert default.days == frozenset(range(5)) and (default.open_s, default.close_s) == (
        32400,
        64800,
    )
