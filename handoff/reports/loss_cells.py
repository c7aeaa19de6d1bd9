"""The loss rollups (migrations 9 and 10), moved by every write that changes a case's row or
its compensation fact, in the write's transaction:

- `loss_cells`: cases, refunds (in the case's own currency), reships, reship cost and
  compensation (both in USD) per (week, issue type, SKU, country, supplier, warehouse,
  carrier, currency). `loss.loss` reads it when its filters are all among these dimensions;
- `loss_by`: the same sums per (dimension, week, key, currency) for each dimension loss can
  be broken down by: the unfiltered loss (or one of whole weeks) reads a few hundred rows
  instead of a cell per combination (half a million at a million cases).

A missing dimension is stored as "" (case rows never hold ""). Reship cost is the SKU's unit
cost (shop catalog) when the case was written; compensation is the case's fact
(`case_facts`). Weeks a day filter cuts are counted on their cases rows (`loss.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shop.catalog import BY_SKU

DIMS = ("issue_type", "sku", "country", "supplier", "warehouse", "carrier", "currency")
BY = ("issue_type", "sku", "supplier", "warehouse", "carrier", "country")  # loss_by's
SUMS = ("cases", "refunds", "reships", "reship_cost", "compensation")
# the case columns a cell and its sums are worked out from (beyond the week)
SOURCE = (*DIMS, "resolution", "refund_amount", "compensation")
CHUNK = 500
Cells = dict[tuple[str, ...], list[float]]
# per case id: its cell and its sums, as stored (see `contributions`)
Contributions = dict[str, tuple[tuple[str, ...], tuple[float, ...]]]


def _sums() -> list[sa.Column[Any]]:
    return [
        sa.Column("cases", sa.Integer, nullable=False),
        sa.Column("refunds", sa.Float, nullable=False),
        sa.Column("reships", sa.Integer, nullable=False),
        sa.Column("reship_cost", sa.Float, nullable=False, server_default="0"),
        sa.Column("compensation", sa.Float, nullable=False, server_default="0"),
    ]


def columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("week", sa.String(10), primary_key=True),
        *[sa.Column(n, sa.String(200), primary_key=True) for n in DIMS],
        *_sums(),
    ]


def by_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("dim", sa.String(20), primary_key=True),
        sa.Column("week", sa.String(10), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("currency", sa.String(200), primary_key=True),
        *_sums(),
    ]


def reship_cost_usd(sku: str | None) -> float:
    product = BY_SKU.get(sku or "")
    return float(product.unit_cost_usd) if product is not None else 0.0


def contribution(row: Any) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The cell of a case row and what the case adds to its sums."""
    reship = row.resolution == "reship"
    key = (row.week, *[getattr(row, d) or "" for d in DIMS])
    sums = (
        1.0,
        float(row.refund_amount or 0.0),
        1.0 if reship else 0.0,
        reship_cost_usd(row.sku) if reship else 0.0,
        float(row.compensation or 0.0),
    )
    return key, sums


def contributions(conn: Connection, cases: sa.Table, ids: Iterable[str]) -> Contributions:
    """The stored cell and sums of each of these cases."""
    ordered = sorted(ids)
    cols = [cases.c.case_id, cases.c.week, *[cases.c[n] for n in SOURCE]]
    out: Contributions = {}
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        for r in conn.execute(sa.select(*cols).where(cases.c.case_id.in_(chunk))):
            out[r.case_id] = contribution(r)
    return out


def net(before: Contributions, after: Contributions) -> Cells:
    """The change of the cells from `before` to `after`; a case whose cell and sums stay the
    same moves nothing (not even by a rounding error)."""
    cells: Cells = {}
    for case_id in sorted(set(before) | set(after)):
        old, new = before.get(case_id), after.get(case_id)
        if old == new:
            continue
        for sign, part in ((-1.0, old), (1.0, new)):
            if part is None:
                continue
            key, sums = part
            cell = cells.setdefault(key, [0.0] * len(SUMS))
            for i, v in enumerate(sums):
                cell[i] += sign * v
    return cells


def bump(conn: Connection, insert: Any, table: sa.Table, by_table: sa.Table, cells: Cells) -> None:
    """Adds the changes `cells` to `loss_cells` and, per dimension, to `loss_by`."""
    changed = [
        dict(zip(("week", *DIMS), key, strict=True), **_values(sums))
        for key, sums in sorted(cells.items())
        if any(sums)
    ]
    if not changed:
        return
    _upsert(conn, insert, table, ["week", *DIMS], changed)
    per: dict[tuple[str, str, str, str], list[float]] = {}
    for key, sums in cells.items():
        named = dict(zip(("week", *DIMS), key, strict=True))
        for dim in BY:
            slot = per.setdefault((dim, key[0], named[dim], named["currency"]), [0.0] * len(SUMS))
            for i, v in enumerate(sums):
                slot[i] += v
    rows = [
        dict(zip(("dim", "week", "key", "currency"), k, strict=True), **_values(sums))
        for k, sums in sorted(per.items())
        if any(sums)
    ]
    if rows:
        _upsert(conn, insert, by_table, ["dim", "week", "key", "currency"], rows)


def _values(sums: list[float]) -> dict[str, Any]:
    out: dict[str, Any] = dict(zip(SUMS, sums, strict=True))
    out["cases"], out["reships"] = int(round(out["cases"])), int(round(out["reships"]))
    return out


def _upsert(
    conn: Connection,
    insert: Any,
    table: sa.Table,
    key: list[str],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=key, set_={f: table.c[f] + stmt.excluded[f] for f in SUMS}
    )
    conn.execute(stmt, rows)


def _reship_cost(cases: sa.Table) -> Any:
    """The unit cost of a case's SKU (catalog), as SQL."""
    costs = {sku: float(p.unit_cost_usd) for sku, p in BY_SKU.items()}
    if not costs:
        return sa.literal(0.0)
    return sa.case(costs, value=cases.c.sku, else_=0.0)


def rebuild(conn: Connection, cases: sa.Table, table: sa.Table, by_table: sa.Table) -> None:
    """Recomputes both rollups from the cases table (migration 10, or after a bulk load)."""
    conn.execute(table.delete())
    conn.execute(by_table.delete())
    dims = [sa.func.coalesce(cases.c[d], "") for d in DIMS]
    reship = cases.c.resolution == "reship"
    query = sa.select(
        cases.c.week,
        *dims,
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(cases.c.refund_amount), 0.0),
        sa.func.sum(sa.case((reship, 1), else_=0)),
        sa.func.coalesce(sa.func.sum(sa.case((reship, _reship_cost(cases)), else_=0.0)), 0.0),
        sa.func.coalesce(sa.func.sum(cases.c.compensation), 0.0),
    )
    conn.execute(
        table.insert().from_select([c.name for c in table.c], query.group_by(cases.c.week, *dims))
    )
    for dim in BY:
        cols = [table.c[dim], table.c.currency]
        query = sa.select(
            sa.literal(dim), table.c.week, *cols, *[sa.func.sum(table.c[n]) for n in SUMS]
        ).group_by(table.c.week, *cols)
        conn.execute(by_table.insert().from_select([c.name for c in by_table.c], query))
