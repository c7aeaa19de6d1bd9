"""`make run`'s generated history in the reports database (SQLite and PostgreSQL): loaded
once, never twice, next to live cases without a clash, and the red light finds the planted
damaged lamps in France in it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from handoff.cases.schema import case_id_for
from handoff.dev.history import load_demo_history
from handoff.reports.alerts import open_alerts
from handoff.reports.db import ReportsDB, cases, daily_rollups, weekly_cells, weekly_shipped
from handoff.reports.redlight import load_config
from shop.history import DRESS, LAMP, generate_history


def totals(db: ReportsDB) -> tuple[int, float, float]:
    with db.engine.connect() as conn:
        cells = conn.execute(sa.select(sa.func.sum(weekly_cells.c.cases))).scalar_one()
        daily = conn.execute(
            sa.select(sa.func.sum(daily_rollups.c.value)).where(
                daily_rollups.c.metric == "cases", daily_rollups.c.dimension == "sku"
            )
        ).scalar_one()
        return db.count(cases), float(cells or 0), float(daily or 0)


def test_loaded_once_and_a_second_start_adds_nothing(db: ReportsDB) -> None:
    now = datetime.now(timezone.utc)
    expected = len(generate_history(now).cases)
    first = load_demo_history(db, now)
    assert first.loaded == expected > 2000 and first.present == 0
    assert "loaded" in first.describe("x") and str(expected) in first.describe("x")
    after_first = totals(db)
    assert after_first == (expected, expected, expected)  # every rollup counts each case once

    # a later start (the clock moved on, so the generated rows would differ): nothing added
    again = load_demo_history(db, datetime.now(timezone.utc))
    assert (again.loaded, again.present) == (0, expected)
    assert "already" in again.describe("x")
    assert totals(db) == after_first


def test_live_case_ids_never_collide_with_the_history(db: ReportsDB) -> None:
    load_demo_history(db)
    live = db.case_row(
        {"case_id": case_id_for(1), "created_at": datetime.now(timezone.utc).timestamp(),
         "sku": LAMP, "country": "FR", "issue_type": "damaged_item"},
        "live",
    )  # fmt: skip
    n = db.count(cases)
    assert db.upsert_cases([live]) == 1  # a new row: not one of the H-… ids
    assert db.count(cases) == n + 1
    with db.engine.connect() as conn:
        ids = conn.execute(sa.select(cases.c.case_id)).scalars().all()
    assert sum(i.startswith("H-") for i in ids) == n
    assert load_demo_history(db).loaded == 0  # live cases beside it: still loaded once


def test_live_cases_alone_do_not_count_as_history(db: ReportsDB) -> None:
    """A database with only live cases (C-…) still gets the history on its first start."""
    live = db.case_row(
        {"case_id": case_id_for(7), "created_at": datetime.now(timezone.utc).timestamp()}, "live"
    )
    db.upsert_cases([live])
    assert load_demo_history(db).loaded > 2000


def test_the_red_light_finds_the_damaged_lamps_in_france(db: ReportsDB, store: Any) -> None:
    config = load_config()
    assert not [a for a in open_alerts(db, store, config) if a["sku"] == LAMP]
    load_demo_history(db)
    alerts = open_alerts(db, store, config)
    lamp = [
        a
        for a in alerts
        if (a["sku"], a["country"], a["issue_type"]) == (LAMP, "FR", "damaged_item")
    ]
    assert len(lamp) == 1, [a["text"] for a in alerts]
    assert lamp[0]["count"] >= config.min_count
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(cases.c.sku, cases.c.country, cases.c.issue_type).where(
                cases.c.case_id.in_(lamp[0]["case_ids"])
            )
        ).all()
    assert len(rows) == lamp[0]["count"]
    assert set(rows) == {(LAMP, "FR", "damaged_item")}


def test_the_loaded_history_brings_what_shoppers_wrote(db: ReportsDB) -> None:
    from handoff.reports import keywords

    load_demo_history(db)
    lamp = keywords.keyword_rows(db, {"sku": LAMP, "country": "FR", "issue_type": "damaged_item"})
    assert lamp and lamp[0]["lang"] == "fr"
    assert "cassé" in [r["keyword"] for r in lamp[:3]]
    load_demo_history(db)  # a second start stores no message twice
    again = keywords.keyword_rows(db, {"sku": LAMP, "country": "FR", "issue_type": "damaged_item"})
    assert [(r["keyword"], r["count"]) for r in again] == [(r["keyword"], r["count"]) for r in lamp]


def test_on_the_first_start_only_the_planted_problems_light_up(db: ReportsDB, store: Any) -> None:
    """Orders shipped come with the history (calendar weeks, spread back over the red light's
    rolling weeks): against the sample store's few hundred orders instead, a dozen cells
    fired that nothing was planted in."""
    from shop.catalog import BY_SKU

    load_demo_history(db)
    assert db.count(weekly_shipped) > 1000
    alerts = open_alerts(db, store, load_config())
    planted_suppliers = {BY_SKU[LAMP].supplier, BY_SKU[DRESS].supplier}
    unplanted = [
        a["text"]
        for a in alerts
        if not (a["sku"] in (LAMP, DRESS) or a["supplier"] in planted_suppliers)
    ]
    assert not unplanted
    cells = {(a["sku"], a["country"], a["issue_type"]) for a in alerts}
    assert {(LAMP, "FR", "damaged_item"), (DRESS, None, "size_help")} <= cells
    # the cases behind the shipped totals: every order line of the history, none lost
    with db.engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.sum(weekly_shipped.c.orders))).scalar_one()
    generated = sum(r["orders"] for r in generate_history(datetime.now(timezone.utc)).shipped)
    assert stored == generated
