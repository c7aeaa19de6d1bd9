"""Loss analysis of the reports page: refunds, compensation and reship cost per issue type,
SKU, supplier, warehouse, carrier or country, with orders shipped and the share of the loss
(definitions in `handoff.reports.breakdowns`)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from handoff.reports import loss_cells
from handoff.reports.breakdowns import (
    REFUND_REMEDIES,
    SHIPPED_DIMS,
    Filters,
    _rate,
    case_where,
    report_currency,
    shipped,
    week_bounds,
)
from handoff.reports.db import ReportsDB, cases, events, loss_cells_table
from shop.catalog import BY_SKU
from shop.policy import load_policies

CELL_FILTERS = frozenset({*loss_cells.DIMS, "from", "to"}) - {"currency"}

# --- loss --------------------------------------------------------------------------------


class Money:
    """Amounts in one report currency, from any currency the shop sells in."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.fx = load_policies().fx_per_usd

    def convert(self, amount: float, currency: str | None) -> float:
        source = (currency or self.currency).upper()
        if source == self.currency or source not in self.fx or self.currency not in self.fx:
            return amount
        return amount / self.fx[source] * self.fx[self.currency]

    def from_usd(self, usd: float) -> float:
        return usd * self.fx.get(self.currency, 1.0)


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compensation(db: ReportsDB, filters: Filters, by: str, money: Money) -> dict[Any, float]:
    """Accepted remedies that are no refund and fixed-value coupons, per `by` key of the
    case they belong to (the event's case id, else its conversation's first case in scope)."""
    with db.engine.connect() as conn:
        found = conn.execute(
            sa.select(events.c.kind, events.c.conversation_id, events.c.data).where(
                events.c.kind.in_(("remedy_accepted", "coupon_issued"))
            )
        ).all()
        paid: list[tuple[str | None, str | None, float]] = []
        for kind, conv, raw in found:
            data = json.loads(raw)
            amount = _num(data.get("amount") if kind == "remedy_accepted" else data.get("value"))
            if not amount or (kind == "remedy_accepted" and data.get("remedy") in REFUND_REMEDIES):
                continue
            if kind == "coupon_issued" and (
                data.get("kind") == "percent" or not data.get("currency")
            ):
                continue
            paid.append((data.get("case_id"), conv, money.convert(amount, data.get("currency"))))
        if not paid:
            return {}
        ids = sorted({c for c, _, _ in paid if c})
        convs = sorted({v for _, v, _ in paid if v})
        col = cases.c[by]
        rows = []
        for chunk_ids, chunk_convs in _chunks(ids, convs):
            rows += conn.execute(
                sa.select(cases.c.case_id, cases.c.conversation_id, col)
                .where(*case_where(filters))
                .where(
                    sa.or_(cases.c.case_id.in_(chunk_ids), cases.c.conversation_id.in_(chunk_convs))
                )
                .order_by(cases.c.created_at, cases.c.case_id)
            ).all()
    key_of_case = {case_id: key for case_id, _, key in rows}
    key_of_conv: dict[str, Any] = {}
    for _, conv, key in rows:
        key_of_conv.setdefault(conv, key)
    out: dict[Any, float] = defaultdict(float)
    for case_id, conv, amount in paid:
        if case_id in key_of_case:
            out[key_of_case[case_id]] += amount
        elif case_id is None and conv in key_of_conv:
            out[key_of_conv[conv]] += amount
    return out


def _chunks(a: list[str], b: list[str], size: int = 500) -> Iterable[tuple[list[str], list[str]]]:
    for start in range(0, max(len(a), len(b)), size):
        yield a[start : start + size], b[start : start + size]


def _scan_groups(filters: Filters, by: str, weeks: list[str] | None = None) -> Any:
    """(key, sku, currency, cases, refunds, reships) counted on the cases rows (of `weeks`)."""
    col = cases.c[by]
    reship = sa.func.sum(sa.case((cases.c.resolution == "reship", 1), else_=0))
    query = sa.select(
        col,
        cases.c.sku,
        cases.c.currency,
        sa.func.count(),
        sa.func.sum(cases.c.refund_amount),
        reship,
    ).where(*case_where(filters))
    if weeks is not None:
        query = query.where(cases.c.week.in_(weeks))
    return query.group_by(col, cases.c.sku, cases.c.currency)


def _case_groups(conn: Any, filters: Filters, by: str) -> list[Any]:
    """The loss groups of the cases in scope: from `loss_cells` when every filter is one of
    its dimensions (the weeks a day filter cuts counted on their cases rows), else a scan."""
    if by not in CELL_FILTERS or any(v and n not in CELL_FILTERS for n, v in filters.items()):
        return list(conn.execute(_scan_groups(filters, by)))
    t = loss_cells_table.c
    where, cut = week_bounds(t.week, filters)
    where += [t[n] == v for n, v in filters.items() if v and n in loss_cells.DIMS]
    n_cases = sa.func.sum(t.cases)
    query = sa.select(t[by], t.sku, t.currency, n_cases, sa.func.sum(t.refunds))
    query = query.add_columns(sa.func.sum(t.reships)).where(*where)
    query = query.group_by(t[by], t.sku, t.currency).having(n_cases > 0)
    found = [
        (key or None, sku or None, currency or None, n, refunds, reships)
        for key, sku, currency, n, refunds, reships in conn.execute(query)
    ]
    if cut:
        found += conn.execute(_scan_groups(filters, by, cut)).all()
    return found


def loss(db: ReportsDB, filters: Filters, by: str) -> dict[str, Any]:
    """Refunds, compensation and reship cost per `by` key, most loss first."""
    money = Money(report_currency())
    rows: dict[Any, dict[str, Any]] = {}

    def blank(key: Any) -> dict[str, Any]:
        return {"key": key, "cases": 0, "refund": 0.0, "compensation": 0.0, "reship": 0.0}

    with db.engine.connect() as conn:
        for key, sku, currency, n, refunds, reships in _case_groups(conn, filters, by):
            row = rows.setdefault(key, blank(key))
            row["cases"] += int(n)
            row["refund"] += money.convert(float(refunds or 0.0), currency)
            product = BY_SKU.get(sku or "")
            if reships and product is not None:
                row["reship"] += int(reships) * money.from_usd(product.unit_cost_usd)
    for key, amount in _compensation(db, filters, by, money).items():
        rows.setdefault(key, blank(key))["compensation"] += amount
    per_key = shipped(db, filters, by) if by in SHIPPED_DIMS else {}
    scope = (
        sum(shipped(db, filters).values()) if by != "carrier" and not filters.get("carrier") else 0
    )
    everything = sum(r["refund"] + r["compensation"] + r["reship"] for r in rows.values())

    def finish(row: dict[str, Any], orders: int | None) -> dict[str, Any]:
        for f in ("refund", "compensation", "reship"):
            row[f] = round(row[f], 2)
        row["total"] = round(row["refund"] + row["compensation"] + row["reship"], 2)
        row["orders_shipped"] = orders
        row["complaint_rate"] = _rate(row["cases"], orders)
        row["share_of_loss"] = _rate(row["total"], everything)
        return row

    out = []
    for key, row in rows.items():
        if by in SHIPPED_DIMS:
            orders: int | None = per_key.get(key) if key is not None else None
        else:
            orders = scope or None if by == "issue_type" else None
        out.append(finish(row, orders))
    out.sort(key=lambda r: (-r["total"], -r["cases"], r["key"] is None, str(r["key"])))
    total = blank(None)
    for r in rows.values():
        for f in ("cases", "refund", "compensation", "reship"):
            total[f] += r[f]
    total = finish(total, scope or None)
    del total["key"]
    return {"by": by, "currency": money.currency, "rows": out, "total": total}
