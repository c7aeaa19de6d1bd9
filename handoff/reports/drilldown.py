"""The cases behind a number of the reports page: `case_list` lists, a page at a time
(keyset cursor on created_at and case id), exactly the `cases` rows a section counted under
the same filters and, for a KPI, the same `breakdowns.METRICS` condition."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import sqlalchemy as sa

from handoff.reports.breakdowns import Filters, _metric_terms, case_where
from handoff.reports.db import ReportsDB, cases

# --- the cases behind a number -----------------------------------------------------------

LIST_COLUMNS = (
    "case_id", "created_at", "conversation_id", "order_id", "country", "sku", "issue_type",
    "resolution", "refund_amount", "currency", "channel", "supplier", "warehouse", "carrier",
    "resolved_by", "team", "agent", "priority", "first_response_s", "sla_breached",
)  # fmt: skip


def encode_cursor(created_at: float, case_id: str) -> str:
    raw = json.dumps([created_at, case_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[float, str]:
    """The (created_at, case_id) a cursor points after; ValueError when it is no cursor."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        at, case_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ValueError("not a cursor") from None
    if not isinstance(at, (int, float)) or isinstance(at, bool) or not isinstance(case_id, str):
        raise ValueError("not a cursor")
    return float(at), case_id


def case_list(
    db: ReportsDB, filters: Filters, metric: str | None, limit: int, after: str | None
) -> dict[str, Any]:
    """The cases behind a number, oldest first (created_at, then case id), `limit` at a time;
    `next` is the cursor of the following page (None on the last)."""
    where = case_where(filters)
    if metric:
        where.append(_metric_terms(db)[metric])
    page = list(where)
    if after:
        at, case_id = decode_cursor(after)
        page.append(
            sa.or_(
                cases.c.created_at > at,
                sa.and_(cases.c.created_at == at, cases.c.case_id > case_id),
            )
        )
    with db.engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(cases).where(*where))
        n = int(total.scalar_one())
        found = conn.execute(
            sa.select(*[cases.c[c] for c in LIST_COLUMNS])
            .where(*page)
            .order_by(cases.c.created_at, cases.c.case_id)
            .limit(sa.literal_column(str(int(limit) + 1), sa.Integer))  # SQLite plans it better
        ).mappings()
        rows = [dict(r) for r in found]
    more = len(rows) > limit
    rows = rows[:limit]
    for r in rows:
        if r["sla_breached"] is not None:
            r["sla_breached"] = str(r["sla_breached"]).lower() in ("true", "1")
    last = rows[-1] if more and rows else None
    cursor = encode_cursor(last["created_at"], last["case_id"]) if last else None
    return {"total": n, "cases": rows, "rows": rows, "next": cursor}
