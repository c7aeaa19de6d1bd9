"""The compensation fact of a case (migration 10, kept by `case_facts`): in USD, accepted
remedies that are no refund (refunds are the case's `refund_amount`) and fixed-value coupons
of its conversation's events, each on the case its event names, else on the conversation's
first case. An amount without a currency, or in one the shop's rates do not know, is in
`REPORT_CURRENCY` as the fact is written."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shop.policy import load_policies

KINDS = ("remedy_accepted", "coupon_issued")
REFUND_REMEDIES = frozenset({"refund_without_return", "partial_refund", "return_refund"})
CHUNK = 500


def report_currency() -> str:
    return os.environ.get("REPORT_CURRENCY", "EUR").strip().upper() or "EUR"


def paid_usd(
    kind: str, data: dict[str, Any], report_currency: str, fx: dict[str, float]
) -> float | None:
    """What a compensation event paid, in USD: an accepted remedy that is no refund (refunds
    are the case's `refund_amount`) or a fixed-value coupon with a currency; else None. A
    currency the rates do not know counts as the report currency."""
    raw: Any = data.get("amount") if kind == "remedy_accepted" else data.get("value")
    try:
        amount = float(raw)
    except (TypeError, ValueError):
        return None
    if not amount or not math.isfinite(amount):
        return None
    if kind == "remedy_accepted" and data.get("remedy") in REFUND_REMEDIES:
        return None
    if kind == "coupon_issued" and (data.get("kind") == "percent" or not data.get("currency")):
        return None
    currency = str(data.get("currency") or report_currency).upper()
    if currency not in fx:
        currency = report_currency
    return amount / fx.get(currency, 1.0)


def per_case(
    conn: Connection, cases: sa.Table, events: sa.Table, rows: list[tuple[str, str | None]]
) -> dict[str, float]:
    """Compensation in USD per case id of (case id, conversation id) rows."""
    convs = sorted({conv for _, conv in rows if conv is not None})
    if not convs:
        return {}
    currency, fx = report_currency(), load_policies().fx_per_usd
    wanted = {case_id for case_id, _ in rows}
    out: dict[str, float] = {}
    for start in range(0, len(convs), CHUNK):
        chunk = convs[start : start + CHUNK]
        first: dict[str, str] = {}
        ids: set[str] = set()
        query = sa.select(cases.c.conversation_id, cases.c.case_id).where(
            cases.c.conversation_id.in_(chunk)
        )
        for conv, case_id in conn.execute(query.order_by(cases.c.created_at, cases.c.case_id)):
            first.setdefault(conv, case_id)
            ids.add(case_id)
        found = sa.select(events.c.kind, events.c.conversation_id, events.c.data).where(
            events.c.conversation_id.in_(chunk), events.c.kind.in_(KINDS)
        )
        for kind, conv, raw in conn.execute(found):
            try:
                data = json.loads(raw)
            except ValueError:
                continue
            usd = paid_usd(kind, data, currency, fx) if isinstance(data, dict) else None
            if usd is None:
                continue
            named = data.get("case_id")
            owner = (named if named in ids else None) if named else first.get(conv)
            if owner is not None and owner in wanted:
                out[str(owner)] = out.get(str(owner), 0.0) + usd
    return out
