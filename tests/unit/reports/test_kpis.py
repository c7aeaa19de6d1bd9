"""KPIs from stored events: handoff rate, bot containment, first-response and resolution time."""

from __future__ import annotations

from handoff.cases.events import Event
from handoff.reports import queries
from handoff.reports.db import ReportsDB

T0 = 1772445600.0  # 2026-03-02 10:00 UTC


def test_kpis_count_conversations_in_range(db: ReportsDB) -> None:
    batch = [Event("conversation_started", f"c{i}", at=T0 + i) for i in range(4)]
    batch += [
        Event("escalated", "c0", {"reasons": ["angry"]}, at=T0 + 10),
        Event("queued", "c0", at=T0 + 10),
        Event("first_human_reply", "c0", {"first_response_s": 30.0}, at=T0 + 40),
        Event("closed", "c0", {"issue_type": "other"}, at=T0 + 600),
        Event("escalated", "c1", at=T0 + 11),
        Event("first_human_reply", "c1", {"first_response_s": 90.0}, at=T0 + 101),
        Event("closed", "c1", at=T0 + 1201),
        Event("conversation_started", "old", at=T0 - 30 * 86400),  # outside the range
    ]
    assert db.add_events(batch) == len(batch)
    kpi = queries.kpis(db, "2026-03-01", "2026-03-31")
    assert kpi["conversations"] == 4 and kpi["handed_off"] == 2
    assert kpi["handoff_rate"] == 0.5 and kpi["bot_containment"] == 0.5
    assert kpi["first_response_s"] == {"median": 60.0, "p90": 90.0, "n": 2}
    assert kpi["resolution_s"]["median"] == 900.0 and kpi["resolution_s"]["n"] == 2
    assert queries.kpis(db, "2026-04-01", None)["conversations"] == 0
