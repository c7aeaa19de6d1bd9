"""The KPI table and every metric drill-down, pinned: the numbers the reports page showed when
they were computed from the events on every request (kpi_pinned.json, written by that code)
must come back exactly from the per-case facts kept at write time, whatever order the cases
and events arrive in, on both backends, and after migration 7 backfills an existing database.

Regenerate the pinned file (only when a definition changes on purpose) with
`KPI_PIN=write .venv/bin/python -m pytest -q tests/unit/reports/test_kpi_facts.py -k sqlite`.
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
from handoff.reports import breakdowns, drilldown, kpi_table
from handoff.reports.db import ReportsDB, schema_version
from shop.history import carrier_for, generate_history

PINNED = Path(__file__).with_name("kpi_pinned.json")
END = datetime(2030, 1, 7, tzinfo=timezone.utc)
FILTER_SETS: list[dict[str, str]] = [
    {},
    {"from": "2029-11-01", "to": "2029-12-15"},
    {"country": "FR"},
    {"team": "logistics"},
    {"issue_type": "damaged_item", "from": "2029-10-20"},
]
_DATA: list[tuple[list[dict[str, Any]], list[Event]]] = []


def dataset() -> tuple[list[dict[str, Any]], list[Event]]:
    """History cases plus follow-ups on the same orders, shared and missing conversations,
    and events for a few hundred conversations (handoffs, closes, agents, CSAT)."""
    if _DATA:
        return _DATA[0]
    rng = random.Random(29)
    base = [dict(c) for c in generate_history(END, seed=7).cases[:1200]]
    for c in base:
        c["carrier"] = carrier_for(c["order_id"])
    extra: list[dict[str, Any]] = []
    for i, c in enumerate(rng.sample(base, 80)):
        later = dict(c)
        later["case_id"] = f"F-{i:04d}"
        later["created_at"] = c["created_at"] + rng.choice((3600.0, 2 * 86400.0, 6.9 * 86400.0))
        later["created_at"] += rng.choice((0.0, 0.0, 5 * 86400.0))  # some beyond 7 days
        later["conversation_id"] = f"conv-F-{i}" if i % 5 else c["conversation_id"]  # shared
        later["resolved_by"] = rng.choice(("bot", c["resolved_by"], "maria"))
        extra.append(later)
    for i, c in enumerate(rng.sample(base, 12)):
        lone = dict(c, case_id=f"N-{i:04d}", created_at=c["created_at"] + 100.0)
        if i % 2:
            lone["conversation_id"] = None
        else:
            lone["order_id"] = None
        extra.append(lone)
    rows = base + extra
    people = [c for c in rows if c["resolved_by"] != "bot" and c["conversation_id"]]
    batch: list[Event] = []
    for i, c in enumerate(rng.sample(people, min(260, len(people)))):
        conv, at, agent = c["conversation_id"], float(c["created_at"]), c["resolved_by"]
        handoff = at + rng.uniform(0, 4000)
        if i % 7:
            kind = "escalated" if i % 3 else "queued"
            batch.append(Event(kind, conv, {"reasons": ["asked_for_human"]}, at=handoff))
            if i % 4 == 0:
                batch.append(Event("queued", conv, {}, at=handoff + 5))
        batch.append(Event("claimed", conv, {"agent": agent}, at=handoff + 30))
        batch.append(Event("first_human_reply", conv, {"agent": agent}, at=handoff + 90))
        close = handoff + rng.choice((600.0, 3 * 3600.0, 20 * 3600.0, 3 * 86400.0))
        if i % 11 == 0:
            close = handoff - 50  # a close before the handoff: no resolution time
        batch.append(Event("closed", conv, {"agent": agent}, at=close))
        if i % 9 == 0:
            batch.append(Event("closed", conv, {"agent": agent}, at=close + 7200))
        if i % 13 == 0:
            batch.append(Event("claimed", conv, {"agent": "zed"}, at=handoff + 60))
        if i % 17 == 0:
            batch.append(Event("handed_back", conv, {}, at=handoff + 100))
        if i % 3 == 0:
            batch.append(Event("csat_asked", conv, {}, at=close + 10))
            if i % 2 == 0:
                rating = rng.randint(1, 5)
                batch.append(Event("csat_answered", conv, {"rating": rating}, at=close + 20))
                if i % 4 == 0:
                    batch.append(Event("csat_answered", conv, {"rating": 5}, at=close + 30))
    bots = [c for c in rows if c["resolved_by"] == "bot" and c["conversation_id"]]
    for c in bots[:20]:  # a CSAT answer without an ask
        batch.append(Event("csat_answered", c["conversation_id"], {"rating": 2}, at=1e10))
    batch.append(Event("closed", "no-such-case", {"agent": "x"}, at=1e10))
    _DATA.append((rows, batch))
    return _DATA[0]


def outputs(db: ReportsDB) -> dict[str, Any]:
    """Every KPI row and every drill-down (count and first page) of the filter sets."""
    out: dict[str, Any] = {}
    for n, filters in enumerate(FILTER_SETS):
        for by in breakdowns.KPI_BY:
            out[f"kpis {n} {by}"] = kpi_table.kpis(db, filters, by)
        for metric in (None, *breakdowns.METRICS):
            page = drilldown.case_list(db, filters, metric, 200, None)
            ids = [c["case_id"] for c in page["cases"]]
            out[f"cases {n} {metric}"] = {"total": page["total"], "ids": ids}
    agents = [r["key"] for r in out["kpis 0 agent"]["rows"]][:2]
    for agent in agents:
        filters = {"agent": agent, "from": "2029-10-01"}
        out[f"kpis {agent} all"] = kpi_table.kpis(db, filters, "all")
        for metric in breakdowns.METRICS:
            out[f"cases {agent} {metric}"] = drilldown.case_list(db, filters, metric, 1, None)[
                "total"
            ]
    return json.loads(json.dumps(out))


def load_all(db: ReportsDB) -> None:
    rows, batch = dataset()
    db.upsert_cases([db.case_row(r, "import") for r in rows])
    db.add_events(batch)


def check(db: ReportsDB) -> None:
    got = outputs(db)
    if os.environ.get("KPI_PIN") == "write":
        PINNED.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    want = json.loads(PINNED.read_text(encoding="utf-8"))
    assert sorted(got) == sorted(want)
    for key in want:
        assert got[key] == want[key], key


def test_the_pinned_numbers_have_something_to_count() -> None:
    want = json.loads(PINNED.read_text(encoding="utf-8"))
    (row,) = want["kpis 0 all"]["rows"]
    assert row["fcr_misses"] > 20 and row["csat"]["answered"] > 10 and row["csat"]["low"] > 0
    assert row["resolution_s"]["n"] > 100 and row["cases"] > row["conversations"]
    assert want["cases 0 fcr_miss"]["total"] == row["fcr_misses"]


def test_kpis_and_drill_downs_match_the_pinned_numbers(db: ReportsDB) -> None:
    load_all(db)
    check(db)


def test_any_arrival_order_gives_the_same_numbers(db: ReportsDB) -> None:
    rows, batch = dataset()
    rng = random.Random(5)
    case_rows = [db.case_row(r, "import") for r in rows]
    rng.shuffle(case_rows)
    events = list(batch)
    rng.shuffle(events)
    db.add_events(events[:300])  # events before their cases
    for i in range(0, len(case_rows), 333):
        db.upsert_cases(case_rows[i : i + 333])
        db.add_events(events[300 + i : 300 + i + 333])
    db.add_events(events)  # the rest, and a replay of all
    db.upsert_cases(case_rows[:100])  # a replayed batch of cases
    check(db)


def test_migration_7_backfills_an_existing_database(db: ReportsDB) -> None:
    load_all(db)
    from handoff.reports import case_facts

    with db.engine.begin() as conn:  # back to a schema before migration 7
        for name in case_facts.INDEXES:
            conn.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
        for name in case_facts.COLUMNS:
            conn.execute(sa.text(f"ALTER TABLE cases DROP COLUMN {name}"))
        conn.execute(schema_version.delete().where(schema_version.c.version == 7))
        conn.execute(sa.text("DROP TABLE kpi_cells"))
        conn.execute(sa.text("DROP TABLE kpi_times"))
    again = ReportsDB(db.engine.url.render_as_string(hide_password=False), zone=db.zone)
    try:
        check(again)
    finally:
        again.engine.dispose()
