"""The loss rollup (migration 9): cases, refunds (in the case's own currency) and reships
per (week, issue type, SKU, country, supplier, warehouse, carrier, currency), moved by every
case write in the same transaction as the case rows, like `weekly_cells`. `loss.loss` reads
it when its filters are all among these dimensions (weeks a day filter cuts come from the
cases rows). A missing dimension is stored as "" (case rows never hold "")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

DIMS = ("issue_type", "sku", "country", "supplier", "warehouse", "carrier", "currency")
# the case columns a cell is worked out from (beyond the week)
SOURCE = (*DIMS, "resolution", "refund_amount")
Cells = dict[tuple[str, ...], list[float]]


def columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("week", sa.String(10), primary_key=True),
        *[sa.Column(n, sa.String(200), primary_key=True) for n in DIMS],
        sa.Column("cases", sa.Integer, nullable=False),
        sa.Column("refunds", sa.Float, nullable=False),
        sa.Column("reships", sa.Integer, nullable=False),
    ]


def add(cells: Cells, row: Mapping[str, Any], sign: float) -> None:
    """Moves the cell of case `row` by one case (`sign` -1 takes it out)."""
    cell = cells.setdefault((row["week"], *[row[d] or "" for d in DIMS]), [0, 0.0, 0])
    cell[0] += sign
    cell[1] += sign * float(row["refund_amount"] or 0.0)
    cell[2] += sign if row["resolution"] == "reship" else 0


def bump(conn: Connection, insert: Any, table: sa.Table, cells: Cells) -> None:
    changed = [
        dict(zip(("week", *DIMS), key, strict=True), cases=int(n), refunds=r, reships=int(s))
        for key, (n, r, s) in sorted(cells.items())
        if n or r or s
    ]
    if not changed:
        return
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["week", *DIMS],
        set_={f: table.c[f] + stmt.excluded[f] for f in ("cases", "refunds", "reships")},
    )
    conn.execute(stmt, changed)


def rebuild(conn: Connection, cases: sa.Table, table: sa.Table) -> None:
    """Recomputes the rollup from the cases table (migration 9, or after a bulk load)."""
    conn.execute(table.delete())
    dims = [sa.func.coalesce(cases.c[d], "") for d in DIMS]
    refunds = sa.func.coalesce(sa.func.sum(cases.c.refund_amount), 0.0)
    reships = sa.func.sum(sa.case((cases.c.resolution == "reship", 1), else_=0))
    query = sa.select(cases.c.week, *dims, sa.func.count(), refunds, reships)
    conn.execute(
        table.insert().from_select([c.name for c in table.c], query.group_by(cases.c.week, *dims))
    )
