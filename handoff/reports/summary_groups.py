"""The summary grouped as the reports page shows it: cases per chosen dimensions × week.

`grouped_summary(db, filters, group, top)` answers in one SQL statement on the same sources as
`queries.summary_table` (whole weeks from `weekly_cells` and cut weeks from `day_cells` when
the filters allow, other filters from the cases table; see `queries.summary_plan`): the cells
are grouped by issue type plus the chosen dimensions and week into a CTE, and from it come
the `top` largest groups (most cases first, then by their keys) with their weekly cells, the
number of groups, the weekly and overall totals and the cases per issue type. A missing
dimension is None.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from handoff.reports.db import ReportsDB, cases, day_cells, weekly_cells
from handoff.reports.queries import case_filter_where, cell_where, summary_plan

DIMS = ("issue_type", "sku", "country")
DEFAULT_TOP = 40
MAX_TOP = 5000


def parse_group(text: str) -> tuple[str, ...]:
    """`issue_type`, `sku`, `country` or several of them, comma-separated, each once."""
    names = tuple(n.strip() for n in text.split(","))
    if not names or any(n not in DIMS for n in names) or len(set(names)) != len(names):
        raise ValueError(f"group must be one or more of {', '.join(DIMS)}, comma-separated")
    return names


class _Part:
    """One part of a summary plan as SQL: the `weekly_cells` or `day_cells` rows it covers, or
    its cases grouped by (issue type, the group's dimensions, week) in a CTE (read several
    times)."""

    def __init__(self, source: str, filters: Mapping[str, str], dims: tuple[str, ...], i: int):
        if source in ("cells", "days"):
            self.table: Any = weekly_cells if source == "cells" else day_cells
            self.n, self.refunds = self.table.c.cases, self.table.c.refunds
            self.where = cell_where(filters, days=source == "days")
            return
        keys = [sa.func.coalesce(cases.c[d], "").label(d) for d in dims]
        refunds = sa.func.coalesce(sa.func.sum(cases.c.refund_amount), 0.0).label("refunds")
        self.table = (
            sa.select(*keys, cases.c.week, sa.func.count().label("n"), refunds)
            .where(*case_filter_where(filters))
            .group_by(*keys, cases.c.week)
            .cte(f"part{i}")
        )
        self.n, self.refunds, self.where = self.table.c.n, self.table.c.refunds, []

    def col(self, name: str) -> Any:
        return self.table.c[name]

    def select(self, *cols: Any) -> sa.sql.Select:
        return sa.select(*cols).select_from(self.table).where(*self.where)


def _union(selects: list[sa.sql.Select]) -> Any:
    return selects[0] if len(selects) == 1 else sa.union_all(*selects)


def grouped_summary(
    db: ReportsDB, filters: Mapping[str, str | None], group: tuple[str, ...], top: int
) -> dict[str, Any]:
    """The page's table: `rows` (the `top` largest groups, each with `by_week`, `total` and
    `refunds`), `total_rows` (all groups), `weeks` and `week_totals` (weeks with cases),
    `total`, and `issue_types` (cases per issue type, most first).

    Every part of the plan is aggregated on its own and the parts' answers added up (they
    cover disjoint weeks), so a GROUP BY on `weekly_cells` reads one of its covering indexes
    in order (migration 8) instead of sorting its rows.
    """
    inner = tuple(dict.fromkeys(("issue_type", *group)))  # the pie needs the issue type
    parts = [_Part(src, f, inner, i) for i, (src, f) in enumerate(summary_plan(filters))]
    # the groups' totals, each part on its own, then added up
    per_part = _union(
        [
            p.select(
                *[p.col(d).label(d) for d in group],
                sa.func.sum(p.n).label("n"),
                sa.func.sum(p.refunds).label("refunds"),
            ).group_by(*[p.col(d) for d in group])
            for p in parts
        ]
    ).subquery("per_part")
    keys = [per_part.c[d] for d in group]
    # ties broken by the keys' bytes on both backends (PostgreSQL's default collation differs)
    binary = [sa.collate(k, "C") if db.dialect == "postgresql" else k for k in keys]
    total = sa.func.sum(per_part.c.n)
    largest = (
        sa.select(
            *keys,
            total.label("total"),
            sa.func.sum(per_part.c.refunds).label("refunds"),
            sa.func.count().over().label("groups"),
            sa.func.sum(total).over().label("everything"),
        )
        .group_by(*keys)
        .order_by(total.desc(), *binary)
        .limit(top)
        .cte("largest")
    )
    chosen = sa.select(*[largest.c[d] for d in group])
    pad = [sa.null()] * (len(DIMS) - len(group))
    none = [sa.null()] * (len(DIMS) - 1)
    queries = [
        # 0: the largest groups with their totals, how many groups there are and all cases
        sa.select(
            sa.literal_column("0").label("kind"), *[largest.c[d] for d in group], *pad,
            sa.null(), largest.c.total, largest.c.refunds, largest.c.groups,
            largest.c.everything,
        ),
    ]  # fmt: skip
    # cases per issue type and week (a few hundred rows): every week's and issue type's total
    h = _union(
        [
            p.select(p.col("issue_type").label("issue_type"), p.col("week").label("week"))
            .add_columns(sa.func.sum(p.n).label("n"))
            .group_by(p.col("issue_type"), p.col("week"))
            for p in parts
        ]
    ).cte("h")
    for p in parts:
        # 1: the largest groups' weekly cells
        dims = [p.col(d) for d in group]
        queries.append(
            p.select(sa.literal_column("1"), *dims, *pad, p.col("week"), sa.func.sum(p.n))
            .add_columns(*[sa.null()] * 3)
            .where(sa.tuple_(*dims).in_(chosen))
            .group_by(*dims, p.col("week"))
        )
    n = sa.func.sum(h.c.n)
    queries += [
        # 2: every week's total; 3: every issue type's
        sa.select(sa.literal_column("2"), *[sa.null()] * 3, h.c.week, n, *[sa.null()] * 3)
        .group_by(h.c.week),
        sa.select(sa.literal_column("3"), h.c.issue_type, *none, sa.null(), n, *[sa.null()] * 3)
        .group_by(h.c.issue_type),
    ]  # fmt: skip
    with db.engine.connect() as conn:
        found = conn.execute(sa.union_all(*queries)).all()
    rows: dict[tuple[str, ...], dict[str, Any]] = {}
    order: list[tuple[int, tuple[str, ...]]] = []
    week_totals: dict[str, int] = {}
    by_issue: dict[str, int] = {}
    total_rows = everything = 0
    for part, *values in found:
        key = tuple(values[: len(group)])
        week, n, refunds, groups, whole = values[len(DIMS) :]
        if int(part) == 0:
            total_rows, everything = int(groups), int(whole)
            row = {d: (v or None) for d, v in zip(group, key, strict=True)}
            rows[key] = {**row, "by_week": {}, "total": int(n), "refunds": round(refunds, 2)}
            order.append((-int(n), key))
        elif int(part) == 1:
            cells = rows.setdefault(key, {"by_week": {}})["by_week"]
            cells[week] = int(n)
        elif int(part) == 2:
            week_totals[week] = int(n)
        else:
            by_issue[values[0]] = int(n)
    order.sort()
    for row in rows.values():
        row["by_week"] = dict(sorted(row["by_week"].items()))
    weeks = sorted(week_totals)
    return {
        "group": list(group),
        "weeks": weeks,
        "rows": [rows[k] for _, k in order],
        "total_rows": total_rows,
        "week_totals": {w: week_totals[w] for w in weeks},
        "total": everything,
        "issue_types": [
            {"issue_type": k or None, "cases": n}
            for k, n in sorted(by_issue.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }
