"""The summary table served from `weekly_cells` equals the one computed from the cases table."""

from __future__ import annotations

import random

import pytest

from handoff.reports import queries
from handoff.reports.db import ReportsDB, rebuild_case_rollups

T0 = 1767571200.0  # 2026-01-05 00:00 UTC, a Monday (01:00 in Paris)
SKUS = ("LAMP-07", "MUG-01", "TEE-S", None)
COUNTRIES = ("FR", "DE", "JP", None)
ISSUES = ("damaged", "late", "sizing", None)
FILTERS: list[dict[str, str | None]] = [
    {},
    {"country": "FR"},
    {"sku": "MUG-01", "country": None},
    {"issue_type": "late", "sku": "LAMP-07"},
    {"from": "2026-01-12", "to": "2026-02-08"},  # whole weeks
    {"from": "2026-01-14", "to": "2026-02-11", "country": "DE"},  # cut on both sides
    {"from": "2026-01-20"},
    {"to": "2026-02-03", "issue_type": "damaged"},
    {"from": "2026-01-21", "to": "2026-01-24"},  # inside one week
    {"from": "2026-01-04", "to": "2026-01-04"},  # a Sunday alone
    {"country": "XX"},
]


def _generate(db: ReportsDB, n: int, seed: int) -> None:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        record = {
            "case_id": f"G-{i:05d}",
            "created_at": T0 - 3 * 86400 + rng.random() * 70 * 86400,
            "sku": rng.choice(SKUS),
            "country": rng.choice(COUNTRIES),
            "issue_type": rng.choice(ISSUES),
            "refund_amount": rng.choice((None, round(rng.random() * 80, 2))),
        }
        rows.append(db.case_row(record, "live"))
    for start in range(0, n, 700):  # incremental rollups, batch by batch
        db.upsert_cases(rows[start : start + 700])
    # a later pass corrects some cases (new refund, other country): the rollups follow
    for row in rng.sample(rows, n // 10):
        row.update(refund_amount=round(rng.random() * 20, 2), country=rng.choice(COUNTRIES))
    db.upsert_cases(rows[: n // 2])
    db.upsert_cases(rows)


@pytest.mark.parametrize("seed", [1, 2])
def test_rollup_and_table_give_the_same_summary(db: ReportsDB, seed: int) -> None:
    _generate(db, 3000, seed)
    served = {}
    for filters in FILTERS:
        from_cells = queries.summary_table(db, filters)
        from_table = queries.summary_from_cases(db, filters)
        assert from_cells == from_table, filters
        served[str(filters)] = from_cells
    assert sum(r["cases"] for r in served["{}"]) == 3000
    assert served[str({"country": "XX"})] == []
    assert len(served[str(FILTERS[5])]) > 10
    # a full rebuild from the cases table lands on the same rollup
    with db.writer.begin() as conn:
        rebuild_case_rollups(conn)
    for filters in FILTERS:
        assert queries.summary_table(db, filters) == served[str(filters)]


def test_a_filter_the_rollup_does_not_keep_reads_the_table(db: ReportsDB) -> None:
    _generate(db, 400, 3)
    by_channel = queries.summary_table(db, {"resolution": None, "channel": "chat"})
    assert by_channel == []  # generated cases carry no channel
    assert queries.summary_table(db, {"supplier_of_nothing": "x"}) == []
    everything = queries.summary_table(db, {"channel": None})
    assert sum(r["cases"] for r in everything) == 400
