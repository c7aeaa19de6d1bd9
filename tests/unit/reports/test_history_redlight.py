"""The red light end to end on the generated history: the planted problems fire, noise does not."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from handoff.cases.schema import CASE_FIELDS
from handoff.reports.cells import cells_from_rows
from handoff.reports.redlight import Alert, RedLightConfig, compute_alerts, load_config
from shop.catalog import BY_SKU
from shop.history import DRESS, EARBUDS, LAMP, generate_history

END = datetime(2030, 1, 7, tzinfo=timezone.utc)
CONFIG = load_config()
LAMP_SUPPLIER = BY_SKU[LAMP].supplier
DRESS_SUPPLIER = BY_SKU[DRESS].supplier


def explained(alert: Alert) -> bool:
    """Whether a planted problem accounts for the alert (at any level it shows up at)."""
    if alert.issue_type == "damaged_item":
        return (alert.sku == LAMP and alert.country in ("FR", None)) or (
            alert.supplier == LAMP_SUPPLIER
        )
    if alert.issue_type == "size_help":
        return alert.sku == DRESS or alert.supplier == DRESS_SUPPLIER
    return False


@pytest.mark.parametrize("seed", [7, 1, 2, 3, 4, 5])
def test_exactly_the_planted_problems_fire(seed: int) -> None:
    history = generate_history(END, seed=seed)
    alerts = compute_alerts(cells_from_rows(history.cases, history.shipped, END, CONFIG), CONFIG)
    fired = {(a.sku, a.country, a.supplier, a.issue_type) for a in alerts}
    assert (LAMP, "FR", None, "damaged_item") in fired
    assert (DRESS, None, None, "size_help") in fired
    assert [a.text for a in alerts if not explained(a)] == []
    lamp = next(a for a in alerts if a.sku == LAMP and a.country == "FR")
    assert lamp.text.startswith(f"Damaged: {lamp.count} for HM-403 in FR this week vs ")
    assert lamp.text.endswith("× per order shipped")
    assert len(lamp.case_ids) == lamp.count
    by_id = {c["case_id"]: c for c in history.cases}
    assert {by_id[i]["sku"] for i in lamp.case_ids} == {LAMP}
    assert {by_id[i]["country"] for i in lamp.case_ids} == {"FR"}


def test_the_earbuds_promotion_raises_cases_but_not_the_rate() -> None:
    history = generate_history(END, seed=7)
    week = END - timedelta(days=7)

    def de_earbuds(since: datetime, until: datetime, rows: list[dict], key: str) -> int:
        total = 0
        for row in rows:
            at = row.get("created_at")
            when = datetime.fromtimestamp(at, timezone.utc) if at else None
            if when is None:
                when = datetime.fromisoformat(row["week_start"])
            if row["sku"] == EARBUDS and row["country"] == "DE" and since <= when < until:
                total += row[key] if key else 1
        return total

    shipped_now = de_earbuds(week, END, history.shipped, "orders")
    shipped_before = de_earbuds(week - timedelta(days=56), week, history.shipped, "orders")
    assert shipped_now > 2 * shipped_before / 8  # the promotion is there
    cases_now = de_earbuds(week, END, history.cases, "")
    cases_before = de_earbuds(week - timedelta(days=56), week, history.cases, "")
    assert cases_now > cases_before / 8  # and more cases came with it
    alerts = compute_alerts(cells_from_rows(history.cases, history.shipped, END, CONFIG), CONFIG)
    assert not [a for a in alerts if a.sku == EARBUDS]


def test_history_rows_are_complete_and_reproducible() -> None:
    one = generate_history(END, seed=3)
    again = generate_history(END, seed=3)
    assert one.cases == again.cases and one.shipped == again.shipped
    assert one.cases != generate_history(END, seed=4).cases
    assert 2000 < len(one.cases) < 5000
    for case in one.cases:
        assert set(case) == set(CASE_FIELDS)
        assert END - timedelta(weeks=12) <= datetime.fromtimestamp(case["created_at"], timezone.utc)
        assert case["issue_type"] and case["resolution"] and case["resolved_by"]
    weeks = {row["week_start"] for row in one.shipped}
    assert len(weeks) == 12
    assert all(row["orders"] > 0 and row["supplier"] for row in one.shipped)
    ids = [c["case_id"] for c in one.cases]
    assert len(set(ids)) == len(ids) and ids == sorted(ids)  # numbered in the order opened
    assert [c["created_at"] for c in one.cases] == sorted(c["created_at"] for c in one.cases)


def test_cells_put_each_case_in_its_week_and_its_three_scopes() -> None:
    config = RedLightConfig(baseline_weeks=2)
    end = datetime(2030, 1, 22, tzinfo=timezone.utc)
    shipped = [
        {"week_start": "2030-01-01T00:00:00+00:00", "sku": "A", "country": "FR",
         "supplier": "S", "orders": 10},
        {"week_start": "2030-01-15T00:00:00+00:00", "sku": "A", "country": "FR",
         "supplier": "S", "orders": 30},
        {"week_start": "2030-01-15T00:00:00+00:00", "sku": "B", "country": "DE",
         "supplier": "S", "orders": 5},
    ]  # fmt: skip
    cases = [
        {"created_at": "2030-01-21T23:59:00Z", "sku": "A", "country": "FR",
         "issue_type": "damaged_item", "case_id": "C-1"},
        {"created_at": datetime(2030, 1, 3, tzinfo=timezone.utc).timestamp(), "sku": "A",
         "country": "FR", "issue_type": "damaged_item", "case_id": "C-0"},
        {"created_at": "2030-01-16T08:00:00", "sku": "B", "country": "DE",
         "issue_type": "damaged_item", "case_id": "C-2"},
        {"created_at": "2029-12-01T00:00:00Z", "sku": "A", "country": "FR",
         "issue_type": "damaged_item", "case_id": "too-old"},
        {"created_at": "2030-01-20T00:00:00Z", "sku": None, "country": "FR",
         "issue_type": "damaged_item", "case_id": "no-sku"},
    ]  # fmt: skip
    cells = {
        (c.sku, c.country, c.supplier): c for c in cells_from_rows(cases, shipped, end, config)
    }
    assert set(cells) == {("A", "FR", None), ("A", None, None), ("B", "DE", None),
                          ("B", None, None), (None, None, "S")}  # fmt: skip
    a_fr = cells[("A", "FR", None)]
    assert a_fr.weekly_counts == (1, 0, 1) and a_fr.weekly_shipped == (10, 0, 30)
    assert a_fr.case_ids == ("C-1",)
    supplier = cells[(None, None, "S")]
    assert supplier.weekly_counts == (1, 0, 2) and supplier.weekly_shipped == (10, 0, 35)
    assert supplier.case_ids == ("C-1", "C-2")
