"""The summary table served from `weekly_cells` equals the one computed from the cases table."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from handoff.reports import queries
from handoff.reports.db import ReportsDB, rebuild_case_rollups, schema_version
from tests.unit.reports.conftest import generate_cases

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
    generate_cases(
        db, n, seed, days=70, skus=SKUS, countries=COUNTRIES, issues=ISSUES, batch=700,
        half_first=True,
    )  # fmt: skip


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


def test_cut_weeks_are_served_by_day_cells_not_the_cases_table(db: ReportsDB) -> None:
    _generate(db, 1500, 4)
    for filters in FILTERS:
        if set(k for k, v in filters.items() if v) <= queries.CELL_FILTERS:
            sources = [source for source, _ in queries.summary_plan(filters)]
            assert "cases" not in sources, (filters, sources)
    assert [s for s, _ in queries.summary_plan(FILTERS[5])] == ["days", "cells", "days"]
    assert [s for s, _ in queries.summary_plan(FILTERS[8])] == ["days"]  # inside one week
    assert [s for s, _ in queries.summary_plan({"channel": "chat"})] == ["cases"]


def test_migration_11_builds_day_cells_for_an_existing_database(db: ReportsDB) -> None:
    _generate(db, 1200, 5)
    want = {str(f): queries.summary_table(db, f) for f in FILTERS}
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE day_cells"))
        conn.execute(schema_version.delete().where(schema_version.c.version == 11))
    db.migrate()
    for filters in FILTERS:
        assert queries.summary_table(db, filters) == want[str(filters)], filters
        assert queries.summary_table(db, filters) == queries.summary_from_cases(db, filters)
