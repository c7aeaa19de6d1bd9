"""Set-based writes stay idempotent and keep the rollups exact (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import random
import threading
from zoneinfo import ZoneInfo

from handoff.cases.events import Event
from handoff.reports.db import ReportsDB, events, weekly_cells

T0 = 1772445600.0  # 2026-03-02 10:00 UTC, a Monday
PARIS = ZoneInfo("Europe/Paris")  # the `db` fixture's shop zone


def _events(n: int) -> list[Event]:
    kinds = ("intent", "escalated", "closed")
    return [
        Event(kinds[i % 3], f"c{i // 4}", {"intent": "track_order", "n": i}, at=T0 + i * 97.0)
        for i in range(n)
    ]


def _kind_totals(db: ReportsDB) -> dict[str, float]:
    totals: dict[str, float] = {}
    for (_day, kind), value in db.rollups("kind", "events").items():
        totals[kind] = totals.get(kind, 0.0) + value
    return totals


def test_duplicates_in_a_batch_and_overlapping_batches_count_once(db: ReportsDB) -> None:
    batch = _events(2500)
    assert db.add_events(batch[:1500] + batch[:10]) == 1500
    assert db.add_events(batch[1000:]) == 1000  # 500 already stored
    assert db.add_events(reversed(batch)) == 0
    assert db.count(events) == 2500
    assert _kind_totals(db) == {"intent": 834.0, "escalated": 833.0, "closed": 833.0}
    expected: dict[tuple[str, str], float] = {}
    for ev in batch:  # the shop's (Paris) day of each event, counted here independently
        key = (dt.datetime.fromtimestamp(ev.at, PARIS).date().isoformat(), ev.kind)
        expected[key] = expected.get(key, 0.0) + 1.0
    assert db.rollups("kind", "events") == expected and len({d for d, _ in expected}) == 4


def test_writers_racing_on_the_same_events_store_each_once(db: ReportsDB) -> None:
    batch = _events(3000)
    stored: list[int] = []
    failed: list[BaseException] = []

    def ingest(seed: int) -> None:
        mine = batch[:]
        random.Random(seed).shuffle(mine)
        try:
            stored.append(sum(db.add_events(mine[i : i + 250]) for i in range(0, len(mine), 250)))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failed.append(exc)

    threads = [threading.Thread(target=ingest, args=(seed,)) for seed in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failed == []
    assert sum(stored) == 3000 and len(stored) == 3
    assert db.count(events) == 3000
    assert sum(_kind_totals(db).values()) == 3000


def _case(case_id: str, **values: object) -> dict[str, object]:
    record = {"case_id": case_id, "created_at": T0, "issue_type": "damaged", "sku": "LAMP-07"}
    record.update(country="FR", refund_amount=10.0)
    record.update(values)
    return record


def test_a_refreshed_case_moves_the_rollups_by_the_change(db: ReportsDB) -> None:
    rows = [db.case_row(_case(f"C-{i}"), "live") for i in range(3)]
    assert db.upsert_cases(rows) == 3
    assert db.upsert_cases(rows) == 0  # a replay moves nothing
    assert db.rollups("sku", "refund") == {("2026-03-02", "LAMP-07"): 30.0}
    # C-1 gets a bigger refund, C-2 turns out to be another SKU shipped to Germany
    changed = [
        db.case_row(_case("C-1", refund_amount=25.5), "live"),
        db.case_row(_case("C-2", sku="MUG-01", country="DE", refund_amount=None), "live"),
    ]
    assert db.upsert_cases(changed) == 0
    assert db.rollups("sku", "refund") == {("2026-03-02", "LAMP-07"): 35.5}
    assert db.rollups("sku", "cases") == {
        ("2026-03-02", "LAMP-07"): 2.0,
        ("2026-03-02", "MUG-01"): 1.0,
    }
    assert db.rollups("country", "cases") == {("2026-03-02", "FR"): 2.0, ("2026-03-02", "DE"): 1.0}
    with db.engine.connect() as conn:
        cells = {
            (r.sku, r.country): (r.cases, r.refunds)
            for r in conn.execute(weekly_cells.select().where(weekly_cells.c.cases > 0))
        }
    assert cells == {("LAMP-07", "FR"): (2, 35.5), ("MUG-01", "DE"): (1, 0.0)}
