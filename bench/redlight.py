"""Red-light computation time over every cell of a shop with 1,000,000 cases.

    .venv/bin/python bench/redlight.py [--cells 100000] [--spikes 20] [--repeat 3]

Sizing: a million cases over a year is ~175,000 cases in the 9 weeks the red light reads;
spread over SKU × country × issue type, SKU × issue type and supplier × issue type cells
with the long tail real shops have, that is some 50,000-100,000 non-empty cells. The
generated cells have Poisson weekly counts around their own rate, orders shipped per week
around their own volume, and `--spikes` cells with this week's rate multiplied by 4.
Prints cells, alerts and seconds (best of `--repeat`); writes bench/results/redlight.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handoff.reports.redlight import Cell, compute_alerts, load_config  # noqa: E402


def generated_cells(n: int, spikes: int, weeks: int, seed: int = 11) -> list[Cell]:
    rng = np.random.default_rng(seed)
    rate = rng.lognormal(mean=-1.0, sigma=1.0, size=n)  # cases per week, long tail
    volume = rng.lognormal(mean=3.5, sigma=1.0, size=n)  # orders shipped per week
    rate[:spikes], volume[:spikes] = 3.0, 60.0  # a spike needs a history to stand out of
    shipped = rng.poisson(volume[:, None], size=(n, weeks + 1))
    lam = rate[:, None] * np.maximum(shipped, 1) / np.maximum(volume[:, None], 1)
    lam[:spikes, -1] *= 4
    counts = rng.poisson(lam)
    issues = ("damaged_item", "wrong_item", "size_help", "not_as_described", "track_order")
    cells = []
    for i in range(n):
        kind = i % 3
        cells.append(
            Cell(
                sku=f"SKU-{i % 2000:04d}" if kind < 2 else None,
                country=f"C{i % 30:02d}" if kind == 0 else None,
                supplier=f"SUP-{i % 90:02d}" if kind == 2 else None,
                issue_type=issues[i % len(issues)],
                weekly_counts=tuple(int(x) for x in counts[i]),
                weekly_shipped=tuple(int(x) for x in shipped[i]),
                case_ids=tuple(f"C-{i}-{k}" for k in range(int(counts[i, -1]))),
            )
        )
    return cells


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--spikes", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = load_config()
    cells = generated_cells(args.cells, args.spikes, config.baseline_weeks)
    best = float("inf")
    alerts = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        alerts = compute_alerts(cells, config)
        best = min(best, time.perf_counter() - start)
    planted = sum(
        1 for a in alerts if a.case_ids and int(a.case_ids[0].split("-")[1]) < args.spikes
    )
    result = {
        "cells": len(cells),
        "cases_in_window": int(sum(sum(c.weekly_counts) for c in cells)),
        "alerts": len(alerts),
        "planted_spikes": args.spikes,
        "planted_alerts": planted,
        "seconds": round(best, 3),
    }
    print(
        f"cells {result['cells']}  alerts {result['alerts']}  "
        f"seconds {result['seconds']}  (cases in window {result['cases_in_window']})"
    )
    out = ROOT / "bench" / "results" / "redlight.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
