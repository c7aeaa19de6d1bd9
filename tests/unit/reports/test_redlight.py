"""The red light's statistics: spikes fire with their sentence, sales surges and noise do not."""

from __future__ import annotations

import json
import random
from math import comb
from pathlib import Path

import numpy as np
import pytest
import yaml

from handoff.reports.redlight import (
    ISSUE_LABELS,
    Cell,
    RedLightConfig,
    benjamini_hochberg,
    compute_alerts,
    load_config,
)

CONFIG = RedLightConfig()
FLAT = (100,) * 9  # orders shipped per week, steady


def lamp(counts: tuple[int, ...], shipped: tuple[int, ...] = FLAT) -> Cell:
    return Cell("LAMP-07", "FR", None, "damaged_item", counts, shipped, ("C-1", "C-2"))


def test_a_planted_spike_fires_and_says_so_in_one_sentence() -> None:
    # 10 baseline cases in 8 weeks = 1.25/week (shown as 1.3); this week 9 on 220 orders
    cell = lamp((1, 2, 1, 1, 2, 1, 2, 0, 9), (100,) * 8 + (220,))
    (alert,) = compute_alerts([cell], CONFIG)
    assert alert.count == 9
    assert alert.baseline_per_week == 1.25
    assert alert.rate_ratio == pytest.approx((9 / 220) / (10 / 800), abs=0.01)
    assert alert.text == (
        "Damaged: 9 for LAMP-07 in FR this week vs 1.3/week before, 3.3× per order shipped"
    )
    assert alert.case_ids == ("C-1", "C-2")
    doc = json.loads(alert.to_json_text())
    assert doc["p"] == alert.p and doc["case_ids"] == ["C-1", "C-2"]
    assert {"sku", "country", "issue_type", "count", "baseline_per_week", "rate_ratio", "p"} <= set(
        doc
    )


def test_a_spike_explained_by_a_sales_surge_does_not_fire() -> None:
    baseline = (1, 2, 1, 1, 2, 1, 2, 0)
    assert compute_alerts([lamp(baseline + (9,))], CONFIG)  # same sales: fires
    surge = lamp(baseline + (9,), (100,) * 8 + (400,))  # four times the orders shipped
    assert compute_alerts([surge], CONFIG) == []


def test_fewer_than_three_cases_never_fire() -> None:
    # two cases where there were none for two months is very unlikely, but too few to act on
    cell = lamp((0, 0, 0, 0, 0, 0, 0, 0, 2), (400,) * 8 + (5,))
    assert compute_alerts([cell], RedLightConfig(max_p=1.0)) == []
    three = lamp((0, 0, 0, 0, 0, 0, 0, 0, 3), (400,) * 8 + (5,))
    assert compute_alerts([three], CONFIG)


def test_the_p_value_is_the_hand_computed_binomial_tail() -> None:
    # c=6, b=4, e1=100, e0=800: p0 = 1/9, n = 10, P(X >= 6)
    cell = lamp((1, 0, 1, 0, 1, 0, 1, 0, 6))
    p0, n = 1 / 9, 10
    tail = sum(comb(n, k) * p0**k * (1 - p0) ** (n - k) for k in range(6, n + 1))
    (alert,) = compute_alerts([cell], CONFIG)
    assert alert.p_raw == pytest.approx(tail, rel=1e-9)
    assert alert.p == pytest.approx(tail, rel=1e-9)  # a family of one: BH changes nothing
    assert alert.rate_ratio == 12.0


def test_no_baseline_cases_uses_half_a_case_for_the_ratio() -> None:
    cell = lamp((0, 0, 0, 0, 0, 0, 0, 0, 4))
    (alert,) = compute_alerts([cell], CONFIG)
    assert alert.p_raw == pytest.approx((1 / 9) ** 4)
    assert alert.rate_ratio == pytest.approx((4 / 100) / (0.5 / 800))
    assert "vs none in the weeks before" in alert.text


def test_benjamini_hochberg_keeps_a_lone_p_of_004_among_100_nulls_quiet() -> None:
    # alone, 5 cases this week against 13 in the baseline has p ~ 0.04 and fires
    suspect = lamp((2, 1, 2, 2, 1, 2, 1, 2, 5))
    (alone,) = compute_alerts([suspect], CONFIG)
    assert 0.03 < alone.p_raw < 0.05
    rng = random.Random(3)
    nulls = []
    for i in range(100):
        weeks = tuple(rng.choice((1, 2, 2, 3)) for _ in range(9))
        nulls.append(Cell(f"SKU-{i}", "DE", None, "wrong_item", weeks, FLAT))
    assert all(a.sku != "LAMP-07" for a in compute_alerts([*nulls, suspect], CONFIG))


def test_benjamini_hochberg_matches_the_step_up_definition() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.5, 0.001])
    adjusted = benjamini_hochberg(p)
    # sorted: .001 .01 .03 .04 .5 -> x5/rank: .005 .025 .05 .05 .5 (then running minimum)
    assert adjusted.tolist() == pytest.approx([0.025, 0.05, 0.05, 0.5, 0.005])
    assert benjamini_hochberg(np.array([])).size == 0


def test_no_shipping_data_falls_back_to_weekly_counts() -> None:
    cell = lamp((1, 1, 1, 1, 1, 1, 1, 1, 7), (0,) * 9)
    (alert,) = compute_alerts([cell], CONFIG)
    assert alert.per_order is False
    assert alert.rate_ratio == 7.0
    assert alert.p_raw == pytest.approx(
        sum(comb(15, k) * (1 / 9) ** k * (8 / 9) ** (15 - k) for k in range(7, 16))
    )
    assert alert.text.endswith("7.0× the weekly average")


def test_alerts_come_most_significant_first_and_name_their_scope() -> None:
    strong = lamp((0, 0, 0, 0, 0, 0, 0, 0, 12))
    weaker = Cell(None, None, "Lumen Works", "damaged_item", (1,) * 8 + (6,), FLAT)
    everywhere = Cell("AP-101", None, None, "size_help", (1,) * 8 + (9,), FLAT)
    alerts = compute_alerts([weaker, everywhere, strong], CONFIG)
    assert [a.sku or a.supplier for a in alerts] == ["LAMP-07", "AP-101", "Lumen Works"]
    assert alerts[1].text.startswith("Sizing: 9 for AP-101 in all countries this week")
    assert "for supplier Lumen Works" in alerts[2].text
    assert [a.p for a in alerts] == sorted(a.p for a in alerts)


def test_the_shipped_config_and_labels_cover_the_closing_codes() -> None:
    assert load_config() == RedLightConfig()
    root = Path(__file__).resolve().parents[3]
    doc = yaml.safe_load((root / "handoff" / "routing" / "handoff.yml").read_text("utf-8"))
    assert set(doc["issue_types"]) <= set(ISSUE_LABELS)


def test_short_and_long_histories_are_aligned_on_the_current_week() -> None:
    # a SKU listed three weeks ago (short history) and one with 12 weeks (only the last 9 count)
    new = lamp((0, 0, 6), (100, 100, 100))
    old = Cell("LAMP-08", "FR", None, "damaged_item", (50, 50, 50) + (0,) * 8 + (6,), (100,) * 12)
    alerts = {a.sku: a for a in compute_alerts([new, old], CONFIG)}
    assert set(alerts) == {"LAMP-07", "LAMP-08"}
    assert alerts["LAMP-07"].baseline_per_week == 0 and alerts["LAMP-08"].baseline_per_week == 0
    # the short one has 200 orders of baseline exposure, the long one 800
    assert alerts["LAMP-07"].rate_ratio == pytest.approx((6 / 100) / (0.5 / 200))
    assert alerts["LAMP-08"].rate_ratio == pytest.approx((6 / 100) / (0.5 / 800))
