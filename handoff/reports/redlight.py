"""The red light: cells whose complaints this week stand out against their past, per order.

A cell is one scope (a SKU in a country, a SKU everywhere, or a supplier) and one issue type,
with its weekly case counts and the orders shipped in the same scope each week. For each cell
this week's count `c` is tested against the baseline weeks' total `b` with the exact
conditional Poisson rate-ratio test: given `n = c + b`, under "same rate per order shipped"
`c ~ Binomial(n, e1 / (e1 + e0))` where `e1` and `e0` are the orders shipped this week and in
the baseline weeks; the one-sided p is `P(X >= c)`.

Choices written down:
- Zero exposure: when `e1` or `e0` is 0 (nothing shipped in the scope, or no shipping data)
  the test falls back to plain counts, each week weighing the same (`p0 = 1 / (weeks + 1)`),
  and the sentence says "the weekly average" instead of "per order shipped".
- No baseline cases (`b = 0`): the p value needs nothing special (`P = p0 ** c`); the rate
  ratio would be infinite, so it is computed with 0.5 baseline cases (a continuity correction),
  which understates rather than invents a ratio.
- Multiple testing: Benjamini–Hochberg over the tested cells. A cell that can never fire
  whatever its split - fewer than `min_count` cases in all, or a smallest possible p (every
  one of its `n` cases falling this week, `p0 ** n`) above `max_p` - is left out of the
  family (Tarone's rule); this depends on `n` alone, not on the split being tested, and keeps
  a shop's thousands of one- and two-case cells from drowning a real spike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray
from scipy.stats import binom

CONFIG_FILE = Path(__file__).with_name("redlight.yml")

# English labels of the closing codes' issue types (handoff/routing/handoff.yml)
ISSUE_LABELS = {
    "track_order": "Tracking",
    "delivery_time": "Delivery time",
    "size_help": "Sizing",
    "return_request": "Returns",
    "refund_status": "Refund status",
    "damaged_item": "Damaged",
    "wrong_item": "Wrong item",
    "not_as_described": "Not as described",
    "cancel_order": "Cancellations",
    "change_address": "Address changes",
    "customs_duties": "Customs duties",
    "payment_issue": "Payment",
    "product_usage": "Usage difficulty",
    "complain": "Complaints",
    "other": "Other",
}


@dataclass(frozen=True)
class Cell:
    """One scope × issue type with its weekly history, oldest week first, current week last."""

    sku: str | None
    country: str | None
    supplier: str | None
    issue_type: str
    weekly_counts: tuple[int, ...]  # oldest..current, baseline weeks + 1
    weekly_shipped: tuple[int, ...]  # orders shipped in the same scope per week
    case_ids: tuple[str, ...] = ()  # this week's cases behind the count


@dataclass(frozen=True)
class RedLightConfig:
    min_count: int = 3
    min_rate_ratio: float = 2.0
    max_p: float = 0.05
    baseline_weeks: int = 8


@lru_cache(maxsize=4)
def load_config(path: Path = CONFIG_FILE) -> RedLightConfig:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return RedLightConfig(
        min_count=int(doc.get("min_count", 3)),
        min_rate_ratio=float(doc.get("min_rate_ratio", 2.0)),
        max_p=float(doc.get("max_p", 0.05)),
        baseline_weeks=int(doc.get("baseline_weeks", 8)),
    )


@dataclass(frozen=True)
class Alert:
    sku: str | None
    country: str | None
    supplier: str | None
    issue_type: str
    count: int
    baseline_per_week: float
    rate_ratio: float
    p: float  # Benjamini–Hochberg adjusted
    p_raw: float
    case_ids: tuple[str, ...]
    text: str
    per_order: bool = True  # False: no shipping data, compared on counts alone

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["case_ids"] = list(self.case_ids)
        return out

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False)


def issue_label(issue_type: str) -> str:
    return ISSUE_LABELS.get(issue_type) or issue_type.replace("_", " ").capitalize()


def benjamini_hochberg(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Step-up BH adjusted p values (monotone in p, capped at 1), in the input's order."""
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="mergesort")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted_sorted, 1.0)
    return out


def _sentence(cell: Cell, count: int, per_week: float, ratio: float, per_order: bool) -> str:
    if cell.sku and cell.country:
        scope = f"for {cell.sku} in {cell.country}"
    elif cell.sku:
        scope = f"for {cell.sku} in all countries"
    elif cell.supplier:
        scope = f"for supplier {cell.supplier}"
    else:
        scope = f"in {cell.country}" if cell.country else "overall"
    before = f"{per_week + 1e-9:.1f}/week before"  # 1.25 reads 1.3, not 1.2
    before = before if per_week > 0 else "none in the weeks before"
    basis = "per order shipped" if per_order else "the weekly average"
    label = issue_label(cell.issue_type)
    return f"{label}: {count} {scope} this week vs {before}, {ratio:.1f}× {basis}"


def _matrix(rows: list[tuple[int, ...]], width: int) -> NDArray[np.float64]:
    """The last `width` entries of each row; shorter rows padded with zeros in front."""
    if rows and all(len(r) == width for r in rows):  # the usual case, at numpy speed
        flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=len(rows) * width)
        return flat.reshape(len(rows), width)
    out = np.zeros((len(rows), width))
    for i, row in enumerate(rows):
        tail = row[-width:]
        if tail:
            out[i, width - len(tail) :] = tail
    return out


def compute_alerts(cells: Iterable[Cell], config: RedLightConfig) -> list[Alert]:
    """The cells that fire this week, most significant first (then the larger count)."""
    cell_list = list(cells)
    weeks = config.baseline_weeks
    if not cell_list:
        return []
    counts = _matrix([cell.weekly_counts for cell in cell_list], weeks + 1).astype(np.int64)
    shipped = _matrix([cell.weekly_shipped for cell in cell_list], weeks + 1)
    c = counts[:, -1]
    b = counts[:, :-1].sum(axis=1)
    e1 = shipped[:, -1]
    e0 = shipped[:, :-1].sum(axis=1)
    per_order = (e1 > 0) & (e0 > 0)
    # exposure-free fallback: every week weighs the same
    e1 = np.where(per_order, e1, 1.0)
    e0 = np.where(per_order, e0, float(weeks))
    p0 = e1 / (e1 + e0)
    n = c + b
    p_raw = np.ones(len(cell_list))
    active = c > 0
    p_raw[active] = binom.sf(c[active] - 1, n[active], p0[active])
    # Tarone: only cells that could fire at all form the family
    testable = (n >= max(config.min_count, 1)) & (p0**n <= config.max_p)
    p_adj = np.ones(len(cell_list))
    p_adj[testable] = benjamini_hochberg(p_raw[testable])
    ratio = (c / e1) / (np.where(b > 0, b, 0.5) / e0)
    fire = (
        testable
        & (c >= config.min_count)
        & (ratio >= config.min_rate_ratio)
        & (p_adj <= config.max_p)
    )
    alerts = []
    for i in np.flatnonzero(fire):
        cell = cell_list[i]
        count, per_week = int(c[i]), float(b[i]) / weeks
        alerts.append(
            Alert(
                sku=cell.sku,
                country=cell.country,
                supplier=cell.supplier,
                issue_type=cell.issue_type,
                count=count,
                baseline_per_week=round(per_week, 2),
                rate_ratio=round(float(ratio[i]), 2),
                p=float(p_adj[i]),
                p_raw=float(p_raw[i]),
                case_ids=cell.case_ids,
                text=_sentence(cell, count, per_week, float(ratio[i]), bool(per_order[i])),
                per_order=bool(per_order[i]),
            )
        )
    alerts.sort(key=lambda a: (a.p, -a.count, a.p_raw))
    return alerts
