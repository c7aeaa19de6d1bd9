"""Red-light cells from plain case rows and orders-shipped rows (from SQL, an import or the demo).

Three families of cells per issue type, each with its own exposure:
- SKU × country: cases of that SKU shipped to that country / its orders shipped there;
- SKU in every country: the SKU's cases / all its orders shipped;
- supplier: cases of every SKU the supplier makes / all their orders shipped.
Week 0 is the week ending at `week_end`; a case at time t falls in week
`floor((week_end - t) / 7 days)`. Rows older than the baseline or from the future are ignored.
A case without an SKU counts in no cell (there is nothing to stop selling); a case whose SKU
has no shipping rows still counts, and its cell is compared on counts alone.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from handoff.reports.redlight import Cell, RedLightConfig

WEEK_S = 7 * 86400.0
Key = tuple[str | None, str | None, str | None, str]


def epoch(value: Any) -> float:
    """Seconds since the epoch from a number, a datetime or an ISO 8601 string (UTC if naive)."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return dt.timestamp()
    raise ValueError(f"not a time: {value!r}")


def _week(at: float, end: float, weeks: int) -> int | None:
    back = math.floor((end - at) / WEEK_S)
    return weeks - back if 0 <= back <= weeks else None


def cells_from_rows(
    cases: Iterable[Mapping[str, Any]],
    shipped: Iterable[Mapping[str, Any]],
    week_end: datetime | float | str,
    config: RedLightConfig,
) -> list[Cell]:
    """Every cell with at least one case in the window, oldest week first."""
    weeks = config.baseline_weeks
    end = epoch(week_end)
    # float: a weekly total spread over its days lands in two rolling weeks by parts
    exposure: dict[tuple[str | None, str | None, str | None], list[float]] = defaultdict(
        lambda: [0.0] * (weeks + 1)
    )
    supplier_of: dict[str, str] = {}
    for row in shipped:
        # a shipped row's week starts at week_start; its index is that of its middle
        slot = _week(epoch(row["week_start"]) + WEEK_S / 2, end, weeks)
        sku, country, supplier = row.get("sku"), row.get("country"), row.get("supplier")
        if sku and supplier:
            supplier_of[sku] = supplier
        if slot is None:
            continue
        orders = float(row.get("orders") or 0)
        if sku and country:
            exposure[(sku, country, None)][slot] += orders
        if sku:
            exposure[(sku, None, None)][slot] += orders
        if supplier:
            exposure[(None, None, supplier)][slot] += orders
    counts: dict[Key, list[int]] = defaultdict(lambda: [0] * (weeks + 1))
    current: dict[Key, list[str]] = defaultdict(list)
    for case in cases:
        sku, issue = case.get("sku"), case.get("issue_type")
        if not sku or not issue:
            continue
        slot = _week(epoch(case["created_at"]), end, weeks)
        if slot is None:
            continue
        country = case.get("country") or None
        supplier = supplier_of.get(sku) or case.get("supplier") or None
        keys: list[Key] = [(sku, None, None, issue)]
        if country:
            keys.append((sku, country, None, issue))
        if supplier:
            keys.append((None, None, supplier, issue))
        for key in keys:
            counts[key][slot] += 1
            if slot == weeks and case.get("case_id"):
                current[key].append(str(case["case_id"]))
    zero = [0.0] * (weeks + 1)
    return [
        Cell(
            sku=key[0],
            country=key[1],
            supplier=key[2],
            issue_type=key[3],
            weekly_counts=tuple(weekly),
            weekly_shipped=tuple(round(x) for x in exposure.get(key[:3], zero)),
            case_ids=tuple(current.get(key, ())),
        )
        for key, weekly in counts.items()
    ]
