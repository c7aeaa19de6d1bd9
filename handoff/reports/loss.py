"""Loss analysis of the reports page: refunds, compensation and reship cost per issue type,
SKU, supplier, warehouse, carrier or country, with orders shipped and the share of the loss
(definitions in `handoff.reports.breakdowns`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from handoff.reports import loss_cells
from handoff.reports.breakdowns import (
    SHIPPED_DIMS,
    Filters,
    _rate,
    case_where,
    shipped,
    week_bounds,
)
from handoff.reports.compensation import report_currency
from handoff.reports.db import ReportsDB, cases, loss_by_table, loss_cells_table
from shop.policy import load_policies

CELL_FILTERS = frozenset({*loss_cells.DIMS, "from", "to"}) - {"currency"}
# (key, currency, cases, refunds in that currency, reship cost USD, compensation USD)
Groups = list[tuple[Any, Any, Any, Any, Any, Any]]

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


def _scan_groups(conn: Any, filters: Filters, by: str, weeks: list[str] | None = None) -> Groups:
    """The loss groups counted on the cases rows (of `weeks`)."""
    col = cases.c[by]
    reship = sa.func.sum(sa.case((cases.c.resolution == "reship", 1), else_=0))
    query = sa.select(
        col,
        cases.c.sku,
        cases.c.currency,
        sa.func.count(),
        sa.func.sum(cases.c.refund_amount),
        reship,
        sa.func.sum(cases.c.compensation),
    ).where(*case_where(filters))
    if weeks is not None:
        query = query.where(cases.c.week.in_(weeks))
    found = []
    for key, sku, currency, n, refunds, reships, paid in conn.execute(
        query.group_by(col, cases.c.sku, cases.c.currency)
    ):
        cost = int(reships or 0) * loss_cells.reship_cost_usd(sku)
        found.append((key, currency, n, refunds, cost, paid))
    return found


def _rollup_groups(conn: Any, filters: Filters, by: str) -> Groups | None:
    """The loss groups from the rollups: `loss_by` when only days filter (a whole-week
    read of one dimension), `loss_cells` when every filter is one of its dimensions; the
    weeks a day filter cuts counted on their cases rows. None: the filters need a scan."""
    if by not in CELL_FILTERS or any(v and n not in CELL_FILTERS for n, v in filters.items()):
        return None
    if by in loss_cells.BY and not any(v for n, v in filters.items() if n not in ("from", "to")):
        t = loss_by_table.c
        key, scope = t.key, [t.dim == by]
    else:
        t = loss_cells_table.c
        key = t[by]
        scope = [t[n] == v for n, v in filters.items() if v and n in loss_cells.DIMS]
    where, cut = week_bounds(t.week, filters)
    n_cases = sa.func.sum(t.cases)
    sums = [sa.func.sum(t[n]) for n in ("refunds", "reship_cost", "compensation")]
    query = sa.select(key, t.currency, n_cases, *sums).where(*scope, *where)
    query = query.group_by(key, t.currency).having(n_cases > 0)
    found: Groups = [
        (k or None, currency or None, n, refunds, cost, paid)
        for k, currency, n, refunds, cost, paid in conn.execute(query)
    ]
    if cut:
        found += _scan_groups(conn, filters, by, cut)
    return found


def loss(db: ReportsDB, filters: Filters, by: str) -> dict[str, Any]:
    """Refunds, compensation and reship cost per `by` key, most loss first."""
    money = Money(report_currency())
    rows: dict[Any, dict[str, Any]] = {}

    def blank(key: Any) -> dict[str, Any]:
        return {"key": key, "cases": 0, "refund": 0.0, "compensation": 0.0, "reship": 0.0}

    with db.engine.connect() as conn:
        groups = _rollup_groups(conn, filters, by)
        if groups is None:
            groups = _scan_groups(conn, filters, by)
    for key, currency, n, refunds, cost, paid in groups:
        row = rows.setdefault(key, blank(key))
        row["cases"] += int(n)
        row["refund"] += money.convert(float(refunds or 0.0), currency)
        row["reship"] += money.from_usd(float(cost or 0.0))
        row["compensation"] += money.from_usd(float(paid or 0.0))
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
