"""The grouped summary (what the reports page shows) equals grouping the raw summary rows.

Both backends: the `db` fixture runs each test on SQLite and on a real PostgreSQL cluster.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from handoff.reports import queries, summary_groups
from handoff.reports.db import CASE_INDEXES, CELL_INDEXES, MIGRATIONS, SUPERSEDED, ReportsDB
from tests.support.staff import bearer
from tests.unit.reports.conftest import generate_cases

SKUS = ("LAMP-07", "MUG-01", "TEE-S", "CAP-02", "BAG-09", None)
COUNTRIES = ("FR", "DE", "JP", "IT", None)
ISSUES = ("damaged", "late", "sizing", None)
GROUPS = [
    ("issue_type",),
    ("sku",),
    ("country",),
    ("issue_type", "sku", "country"),
    ("country", "sku"),
]
FILTERS: list[dict[str, str | None]] = [
    {},
    {"country": "FR"},
    {"sku": "MUG-01", "issue_type": "late"},
    {"from": "2026-01-12", "to": "2026-02-08"},  # whole weeks
    {"from": "2026-01-14", "to": "2026-02-11"},  # cut on both sides
    {"from": "2026-01-21", "to": "2026-01-24", "sku": "TEE-S"},  # inside one week
    {"to": "2026-02-03", "issue_type": "damaged"},
    {"supplier": "Acme"},  # filters the rollup does not keep: the cases table
    {"channel": "chat", "country": "DE", "from": "2026-01-20"},
    {"agent": "alice", "to": "2026-02-18"},
    {"country": "XX"},
]


def _generate(db: ReportsDB, n: int, seed: int) -> None:
    def extra(rng: random.Random) -> dict[str, Any]:
        return {
            "channel": rng.choice(("chat", "email")),
            "supplier": rng.choice(("Acme", "Borealis")),
            "agent": rng.choice(("alice", "bruno", None)),
        }

    generate_cases(db, n, seed, days=60, skus=SKUS, countries=COUNTRIES, issues=ISSUES, extra=extra)


def _expected(raw: list[dict[str, Any]], group: tuple[str, ...], top: int) -> dict[str, Any]:
    """What the page used to work out in the browser from the raw summary rows."""
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    weeks: dict[str, int] = {}
    issues: dict[str, int] = {}
    for r in raw:
        key = tuple(r[d] or "" for d in group)
        g = groups.setdefault(key, {"by_week": {}, "total": 0, "refunds": 0.0})
        g["by_week"][r["week"]] = g["by_week"].get(r["week"], 0) + r["cases"]
        g["total"] += r["cases"]
        g["refunds"] += r["refunds"]
        weeks[r["week"]] = weeks.get(r["week"], 0) + r["cases"]
        issues[r["issue_type"] or ""] = issues.get(r["issue_type"] or "", 0) + r["cases"]
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1]["total"], kv[0]))
    rows = [
        {
            **{d: (v or None) for d, v in zip(group, key, strict=True)},
            "by_week": dict(sorted(g["by_week"].items())),
            "total": g["total"],
            "refunds": round(g["refunds"], 2),
        }
        for key, g in ranked[:top]
    ]
    return {
        "group": list(group),
        "weeks": sorted(weeks),
        "rows": rows,
        "total_rows": len(groups),
        "week_totals": dict(sorted(weeks.items())),
        "total": sum(weeks.values()),
        "issue_types": [
            {"issue_type": k or None, "cases": n}
            for k, n in sorted(issues.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }


def _same(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Equal, refunds within a cent (the raw rows are rounded cell by cell)."""
    assert [r.pop("refunds") for r in got["rows"]] == pytest.approx(
        [r.pop("refunds") for r in want["rows"]], abs=0.011
    )
    assert got == want


def test_grouped_equals_the_raw_rows_grouped(db: ReportsDB) -> None:
    _generate(db, 2500, 5)
    checked = 0
    for filters in FILTERS:
        raw = queries.summary_from_cases(db, filters)
        assert raw == queries.summary_table(db, filters)
        for group in GROUPS:
            for top in (40, 3):
                got = summary_groups.grouped_summary(db, filters, group, top)
                _same(got, _expected(raw, group, top))
                checked += bool(got["rows"])
    assert checked >= (len(FILTERS) - 1) * len(GROUPS) * 2  # only the unknown country is empty


def test_top_totals_and_cut_weeks(db: ReportsDB) -> None:
    _generate(db, 1500, 9)
    every = summary_groups.grouped_summary(db, {}, ("issue_type", "sku", "country"), 40)
    assert every["total"] == 1500 == sum(every["week_totals"].values())
    assert sum(t["cases"] for t in every["issue_types"]) == 1500
    assert every["total_rows"] > 40 and len(every["rows"]) == 40  # (4 × 6 × 5 cells)
    totals = [r["total"] for r in every["rows"]]
    assert totals == sorted(totals, reverse=True)
    assert all(sum(r["by_week"].values()) == r["total"] for r in every["rows"])
    one = summary_groups.grouped_summary(db, {}, ("sku",), 1)
    assert len(one["rows"]) == 1 and one["total_rows"] == len(SKUS)
    assert one["rows"][0]["total"] == max(
        r["total"] for r in summary_groups.grouped_summary(db, {}, ("sku",), 40)["rows"]
    )
    # a range cutting weeks: the first and last weeks count only their days in range
    cut = summary_groups.grouped_summary(
        db, {"from": "2026-01-14", "to": "2026-02-11"}, ("country",), 40
    )
    whole = summary_groups.grouped_summary(
        db, {"from": "2026-01-12", "to": "2026-02-15"}, ("country",), 40
    )
    assert cut["weeks"] == whole["weeks"] == ["2026-01-12", *cut["weeks"][1:-1], "2026-02-09"]
    assert 0 < cut["week_totals"]["2026-01-12"] < whole["week_totals"]["2026-01-12"]
    assert 0 < cut["week_totals"]["2026-02-09"] < whole["week_totals"]["2026-02-09"]
    assert cut["week_totals"]["2026-01-26"] == whole["week_totals"]["2026-01-26"]
    nothing = summary_groups.grouped_summary(db, {"country": "XX"}, ("sku",), 40)
    assert nothing == {
        "group": ["sku"], "weeks": [], "rows": [], "total_rows": 0, "week_totals": {},
        "total": 0, "issue_types": [],
    }  # fmt: skip


def test_migration_8_indexes(db: ReportsDB) -> None:
    sql = {  # the inspector leaves out expression indexes: ask the catalog
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index'",
        "postgresql": "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()",
    }[db.dialect]
    with db.engine.connect() as conn:
        names = set(conn.execute(sa.text(sql)).scalars())
    assert {i.name for i in (*CASE_INDEXES, *CELL_INDEXES)} <= names
    assert not names & set(SUPERSEDED)
    assert db.migrate() == max(MIGRATIONS)  # nothing left to apply on a second run


async def test_grouped_api_and_bad_input(client: TestClient, db: ReportsDB) -> None:  # noqa: F811
    _generate(db, 600, 4)
    lead = await bearer(client, "nora", "demo-nora-2026")
    agent = await bearer(client, "lena", "demo-lena-2026")
    url = "/api/reports/summary"
    assert (await client.get(url, params={"group": "sku"}, headers=agent)).status == 403
    assert (await client.get(url, params={"group": "sku"})).status == 401
    params = {"group": "issue_type,sku,country", "top": "5", "supplier": "Acme", "to": "2026-02-10"}
    resp = await client.get(url, params=params, headers=lead)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    filters = {"supplier": "Acme", "to": "2026-02-10"}
    want = summary_groups.grouped_summary(db, filters, ("issue_type", "sku", "country"), 5)
    assert body["filters"]["supplier"] == "Acme"
    assert {k: v for k, v in body.items() if k != "filters"} == want
    default = await (await client.get(url, params={"group": "sku"}, headers=lead)).json()
    assert default == {
        "filters": default["filters"],
        **summary_groups.grouped_summary(db, {}, ("sku",), summary_groups.DEFAULT_TOP),
    }
    # the raw form stays, now with every page filter
    raw = await (await client.get(url, params={"supplier": "Borealis"}, headers=lead)).json()
    assert raw["rows"] == queries.summary_from_cases(db, {"supplier": "Borealis"})
    assert "kpis" in raw
    bad = [
        ({"group": "colour"}, "bad_group"),
        ({"group": ""}, "bad_group"),
        ({"group": "sku,sku"}, "bad_group"),
        ({"group": "sku,"}, "bad_group"),
        ({"group": "sku", "top": "0"}, "bad_top"),
        ({"group": "sku", "top": "5001"}, "bad_top"),
        ({"group": "sku", "top": "ten"}, "bad_top"),
        ({"group": "sku", "top": "-3"}, "bad_top"),
        ({"group": "sku", "colour": "red"}, "unknown_filter"),
        ({"group": "sku", "from": "2026-02-30"}, "bad_date"),
        ({"group": "sku", "from": "2026-03-02", "to": "2026-03-01"}, "bad_date"),
    ]
    for params, code in bad:
        resp = await client.get(url, params=params, headers=lead)
        assert resp.status == 400, (params, resp.status)
        error = (await resp.json())["error"]
        assert error["code"] == code, (params, error)
        assert error["message"]
