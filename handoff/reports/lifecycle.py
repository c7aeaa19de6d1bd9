"""Red-light alert lifecycle: a stable id per cell and week, open → acknowledged → resolved.

An alert's id is a digest of its cell (SKU, country, supplier, issue type) and the shop-local
Monday of the week it fired in, so the same spike keeps its id on every gateway and every
recomputation that week. States live in the `alert_states` table (migration 3): a row is
inserted the first time an alert is seen (by the watcher, or by a lead acting on it) with
INSERT … ON CONFLICT DO NOTHING, so "new" is decided once by the database whichever gateway
asks. A resolved alert is not listed or pushed again for the same cell and week.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from handoff import shopdata
from handoff.errors import Conflict, NotFound
from handoff.reports import redlight
from handoff.reports.alerts import open_alerts
from handoff.reports.db import ReportsDB, alert_states, local_day, week_of

STATES = ("open", "acknowledged", "resolved")
CELL = ("sku", "country", "supplier", "issue_type")


def alert_week(db: ReportsDB, now: float | None = None) -> str:
    """The shop-local Monday of the week an alert computed at `now` belongs to."""
    return week_of(local_day(time.time() if now is None else now, db.zone))


def current_alerts(db: ReportsDB) -> tuple[list[dict[str, Any]], str]:
    """This week's firing alerts and the week they are of (blocking: run in the executor)."""
    found = open_alerts(db, shopdata.store(), redlight.load_config())
    return found, alert_week(db)


def cases_link(alert: dict[str, Any]) -> dict[str, str]:
    """Where an alert's cases are: the drill-down API and the reports page, same filters."""
    params = [(n, alert.get(n)) for n in ("sku", "country", "supplier", "issue_type")]
    query = urlencode([(n, v) for n, v in params if v] + [("from", alert.get("week", ""))])
    return {"cases_api": f"/api/reports/cases?{query}", "cases_url": f"/console/reports?{query}"}


def alert_id(alert: dict[str, Any], week: str) -> str:
    cell = "|".join(str(alert.get(name) or "") for name in CELL)
    return "A-" + hashlib.sha256(f"{cell}|{week}".encode()).hexdigest()[:16]


def _row(alert: dict[str, Any], week: str, now: float) -> dict[str, Any]:
    return {
        "alert_id": alert_id(alert, week),
        "week": week,
        **{name: alert.get(name) for name in CELL},
        "state": "open",
        "owner": None,
        "note": None,
        "alert": json.dumps(alert, ensure_ascii=False),
        "first_seen": now,
        "updated_at": now,
        "updated_by": None,
    }


def states(db: ReportsDB, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    wanted = list(ids)
    if not wanted:
        return {}
    with db.engine.connect() as conn:
        query = sa.select(alert_states).where(alert_states.c.alert_id.in_(wanted))
        return {r["alert_id"]: dict(r) for r in conn.execute(query).mappings()}


def with_states(
    db: ReportsDB, alerts: list[dict[str, Any]], week: str, include_resolved: bool = False
) -> list[dict[str, Any]]:
    """The computed alerts with their id, state, owner and note; resolved ones left out."""
    for alert in alerts:
        alert["alert_id"] = alert_id(alert, week)
        alert["week"] = week
        alert.update(cases_link(alert))
    known = states(db, [a["alert_id"] for a in alerts])
    out = []
    for alert in alerts:
        row = known.get(alert["alert_id"], {})
        alert.update(state=row.get("state", "open"), owner=row.get("owner"), note=row.get("note"))
        if include_resolved or alert["state"] != "resolved":
            out.append(alert)
    return out


def record_new(
    db: ReportsDB, alerts: list[dict[str, Any]], week: str, now: float | None = None
) -> list[dict[str, Any]]:
    """Stores alerts not seen before; returns those this call inserted (push them once)."""
    now = time.time() if now is None else now
    stmt = db._insert(alert_states).on_conflict_do_nothing(index_elements=["alert_id"])
    new = []
    with db.engine.begin() as conn:
        for alert in alerts:
            if conn.execute(stmt, _row(alert, week, now)).rowcount == 1:
                new.append({**alert, "alert_id": alert_id(alert, week), "week": week})
    return new


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as the API shows it: the alert as first seen, with its current state."""
    return {
        **json.loads(row["alert"]),
        "alert_id": row["alert_id"],
        "week": row["week"],
        "state": row["state"],
        "owner": row["owner"],
        "note": row["note"],
        "updated_at": row["updated_at"],
        "updated_by": row["updated_by"],
    }


def transition(
    db: ReportsDB,
    ident: str,
    target: str,
    owner: str,
    note: str,
    by: str,
    current: list[dict[str, Any]],
    week: str,
) -> dict[str, Any]:
    """Acknowledges or resolves one alert (known in the table or firing now, in `current`).

    Acknowledging twice updates owner and note; a resolved alert stays resolved (409)."""
    if target not in ("acknowledged", "resolved"):
        raise ValueError(target)
    now = time.time()
    firing = next((a for a in current if alert_id(a, week) == ident), None)
    if firing is not None:
        record_new(db, [firing], week, now)
    with db.engine.begin() as conn:
        row = (
            conn.execute(sa.select(alert_states).where(alert_states.c.alert_id == ident))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound("unknown_alert", f"no alert {ident}")
        if row["state"] == "resolved":
            raise Conflict("already_resolved", f"alert {ident} is already resolved")
        values = {"state": target, "owner": owner, "note": note, "updated_at": now,
                  "updated_by": by}  # fmt: skip
        conn.execute(
            alert_states.update()
            .where(alert_states.c.alert_id == ident, alert_states.c.state != "resolved")
            .values(**values)
        )
        return public({**dict(row), **values})


def week_rows(db: ReportsDB, week: str) -> list[dict[str, Any]]:
    """Every stored alert of one week (the digest), most recent change first."""
    with db.engine.connect() as conn:
        query = (
            sa.select(alert_states)
            .where(alert_states.c.week == week)
            .order_by(alert_states.c.updated_at.desc())
        )
        return [public(dict(r)) for r in conn.execute(query).mappings()]
