"""Trend and loss, pinned: every `by` of each, unfiltered and under filter sets that cut weeks
(a `from` or `to` mid-week, both in one week, whole weeks), on the generated history loaded
like the browser tests load it, plus remedy and coupon events, cases without a SKU, issue type
or country, and cases refreshed to other numbers or another week (so stored rollups have
moved down as well as up). The numbers must equal trend_loss_pinned.json, written by the
scans over the cases table, on SQLite and real PostgreSQL; trend is also compared with the
kept reference scan `breakdowns._trend_scan` directly.

Regenerate the pinned file (only when a definition changes on purpose) with
`TREND_LOSS_PIN=write .venv/bin/python -m pytest -q \
tests/unit/reports/test_trend_loss_pinned.py -k sqlite`.
"""

from __future__ import annotations

import json
import os
import random
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from handoff.cases.events import Event
from handoff.reports import breakdowns, loss
from handoff.reports.db import (
    ReportsDB,
    cases,
    loss_by_table,
    loss_cells_table,
    schema_version,
    weekly_cells,
)
from shop.history import History, carrier_for, generate_history

PINNED = Path(__file__).with_name("trend_loss_pinned.json")
END = datetime(2030, 1, 7, tzinfo=timezone.utc)  # a Monday: weeks run Monday to Sunday
FILTER_SETS: list[dict[str, str]] = [
    {},
    {"from": "2029-11-07", "to": "2029-12-19"},  # Wednesday to Wednesday
    {"from": "2029-11-05", "to": "2029-12-16"},  # Monday to Sunday: whole weeks
    {"from": "2029-12-11", "to": "2029-12-13"},  # inside one week
    {"country": "FR", "from": "2029-12-04"},
    {"issue_type": "damaged_item", "sku": "AP-101"},
    {"issue_type": "track_order", "to": "2029-12-01"},  # a Saturday
    {"channel": "email"},
    {"supplier": "Hangzhou Silkline Garments", "from": "2029-10-30"},
    {"carrier": "NimbusPost"},
    {"from": "2031-01-01"},  # nothing in scope
]
_HISTORY: list[History] = []


def history() -> History:
    if not _HISTORY:
        _HISTORY.append(generate_history(END, seed=7))
    return _HISTORY[0]


def load(db: ReportsDB) -> None:
    """The history (with carriers and orders shipped), oddities, refreshes and events."""
    h = history()
    rng = random.Random(41)
    records = [{**r, "carrier": carrier_for(r["order_id"])} for r in h.cases]
    db.put_shipped(h.shipped)
    db.upsert_cases([db.case_row(r, "import") for r in records])
    odd = []
    for i, r in enumerate(rng.sample(records, 30)):
        blank = ("sku", "issue_type", "country")[i % 3]
        odd.append({**r, "case_id": f"ODD-{i:03d}", blank: None})
    db.upsert_cases([db.case_row(r, "import") for r in odd])
    refreshed = []
    for i, r in enumerate(rng.sample(records, 60)):
        r = dict(r)
        if i % 3 == 0:
            r["refund_amount"] = round(rng.uniform(5, 90), 2)
            r["resolution"] = "partial_refund"
        elif i % 3 == 1:
            r["created_at"] = float(r["created_at"]) + 9 * 86400.0  # into another week
        else:
            r["resolution"] = "reship"
            r["issue_type"] = "damaged_item"
        refreshed.append(r)
    db.upsert_cases([db.case_row(r, "import") for r in refreshed])
    batch: list[Event] = []
    picked = rng.sample(records + odd, 120)
    for i, c in enumerate(picked):
        conv, at = c["conversation_id"], float(c["created_at"]) + 500
        remedy = ("store_credit", "partial_refund", "goodwill", "discount_next")[i % 4]
        data: dict[str, Any] = {"order_id": c["order_id"], "remedy": remedy}
        data["amount"] = round(rng.uniform(3, 40), 2)
        data["currency"] = ("EUR", "USD", "GBP", None)[i % 4]
        if i % 2:
            data["case_id"] = c["case_id"]
        if i % 10 == 9:
            data["amount"] = "n/a"
        batch.append(Event("remedy_accepted", conv, data, at=at))
        if i % 5 == 0:
            kind = "percent" if i % 15 == 0 else "fixed"
            coupon = {"value": 10 + i % 7, "currency": "EUR", "kind": kind, "code": f"C{i}"}
            if i % 3 == 0:
                coupon["case_id"] = c["case_id"]
            batch.append(Event("coupon_issued", conv, coupon, at=at + 5))
    batch.append(Event("coupon_issued", "no-such-conv", {"value": 5, "currency": "EUR"}, at=1.0))
    db.add_events(batch)


def outputs(db: ReportsDB) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, filters in enumerate(FILTER_SETS):
        for by in breakdowns.TREND_BY:
            out[f"trend {i} {by}"] = breakdowns.trend(db, filters, by)
        for by in breakdowns.LOSS_BY:
            out[f"loss {i} {by}"] = loss.loss(db, filters, by)
    return out


def test_the_pinned_numbers_have_something_to_count() -> None:
    want = json.loads(PINNED.read_text(encoding="utf-8"))
    assert len(want["trend 0 sku"]["weeks"]) >= 12
    assert any(s["key"] == "other" for s in want["trend 0 sku"]["series"])
    total = want["loss 0 supplier"]["total"]
    assert total["refund"] > 0 and total["compensation"] > 0 and total["reship"] > 0
    assert total["cases"] == 3077 + 30  # the history and the oddities
    assert want["trend 10 country"]["weeks"] == []
    assert want["trend 3 issue_type"]["weeks"] == ["2029-12-10"]
    for i in range(1, 7):  # every filter set but the channel, carrier and empty ones counts
        assert want[f"loss {i} issue_type"]["total"]["cases"] > 0, i


def test_trend_and_loss_match_the_pinned_numbers(db: ReportsDB) -> None:
    load(db)
    got = outputs(db)
    if os.environ.get("TREND_LOSS_PIN") == "write":
        PINNED.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    want = json.loads(PINNED.read_text(encoding="utf-8"))
    assert sorted(got) == sorted(want)
    for key in want:
        assert got[key] == want[key], key
    for filters in FILTER_SETS:  # and the reference scan, for every `top`
        for by in breakdowns.TREND_BY:
            for top in (1, 3, 8, 50):
                want_trend = breakdowns._trend_scan(db, filters, by, top)
                assert breakdowns.trend(db, filters, by, top) == want_trend, (filters, by, top)


def test_the_rollups_serve_what_they_can(db: ReportsDB) -> None:
    """Trend and loss under cell filters read the rollups (a nudged cell shows), others scan;
    the unfiltered loss reads `loss_by`."""
    load(db)
    with db.writer.begin() as conn:
        conn.execute(sa.update(loss_cells_table).values(cases=loss_cells_table.c.cases + 1))
        conn.execute(sa.update(loss_by_table).values(cases=loss_by_table.c.cases + 1000))
        conn.execute(sa.update(weekly_cells).values(cases=weekly_cells.c.cases + 1))
        count = sa.select(sa.func.count())
        by_carrier = conn.execute(
            count.select_from(loss_by_table).where(loss_by_table.c.dim == "carrier")
        ).scalar()
        lamp = [loss_cells_table.c[n] == v for n, v in FILTER_SETS[5].items()]
        cells = conn.execute(count.select_from(loss_cells_table).where(*lamp)).scalar()
    want = json.loads(PINNED.read_text(encoding="utf-8"))
    assert by_carrier and cells
    assert loss.loss(db, {}, "carrier")["total"]["cases"] == 3107 + 1000 * by_carrier
    got = loss.loss(db, FILTER_SETS[5], "supplier")["total"]["cases"]
    assert got == want["loss 5 supplier"]["total"]["cases"] + cells  # loss_cells
    assert loss.loss(db, FILTER_SETS[7], "sku") == want["loss 7 sku"]  # by channel: a scan
    trend = breakdowns.trend(db, FILTER_SETS[2], "country")
    assert trend != want["trend 2 country"]
    assert breakdowns.trend(db, FILTER_SETS[3], "sku") == want["trend 3 sku"]  # a cut week
    assert breakdowns.trend(db, {}, "supplier") != want["trend 0 supplier"]  # loss_cells
    assert breakdowns.trend(db, FILTER_SETS[9], "sku") != want["trend 9 sku"]  # by carrier
    assert breakdowns.trend(db, FILTER_SETS[7], "sku") == want["trend 7 sku"]  # a scan


def test_migrations_9_and_10_backfill_an_existing_database(db: ReportsDB) -> None:
    """A database from before the loss rollups and the compensation fact: the migrations
    rebuild both and backfill compensation from the stored events."""
    load(db)
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE loss_cells"))
        conn.execute(sa.text("DROP TABLE loss_by"))
        conn.execute(sa.update(cases).values(compensation=None))
        conn.execute(schema_version.delete().where(schema_version.c.version.in_((9, 10))))
    db.migrate()
    want = json.loads(PINNED.read_text(encoding="utf-8"))
    for i, filters in enumerate(FILTER_SETS):
        for by in breakdowns.LOSS_BY:
            assert loss.loss(db, filters, by) == want[f"loss {i} {by}"], (i, by)
