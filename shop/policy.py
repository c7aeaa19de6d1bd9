"""Per-country after-sales policy and the compensation rules, read from policies.yml."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

POLICY_FILE = Path(__file__).with_name("policies.yml")


@dataclass(frozen=True)
class CountryPolicy:
    code: str
    name: str
    currency: str
    language: str
    return_window_days: int
    conditions: tuple[str, ...]
    return_shipping_cost: float
    return_shipping_paid_by: str
    preferred_resolution: str
    label: str
    refund_days: tuple[int, int]
    progress_updates: bool
    duties_regime: str
    duties_threshold: float
    express_upgrade_fee: float


@dataclass(frozen=True)
class CompensationRules:
    coupon_pct: int
    partial_refund_pct: dict[str, int]
    refund_without_return_if_item_below_return_cost: bool
    reship_issue_types: tuple[str, ...]


@dataclass(frozen=True)
class Policies:
    countries: dict[str, CountryPolicy]
    compensation: CompensationRules
    fx_per_usd: dict[str, float]
    # recovery coupon rules per tier, and per-country overrides (shop.coupons reads them)
    coupon_tiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    coupon_overrides: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def country(self, code: str) -> CountryPolicy:
        try:
            return self.countries[code.upper()]
        except KeyError:
            raise KeyError(f"no policy for country {code!r}") from None

    def to_local(self, usd: float, currency: str) -> float:
        amount = usd * self.fx_per_usd[currency]
        return round(amount) if currency in {"JPY", "VND"} else round(amount, 2)


def _country(code: str, raw: dict[str, Any], defaults: dict[str, Any]) -> CountryPolicy:
    merged = {**defaults, **raw}
    duties = merged.get("duties", {})
    return CountryPolicy(
        code=code,
        name=merged["name"],
        currency=merged["currency"],
        language=merged["language"],
        return_window_days=int(merged["return_window_days"]),
        conditions=tuple(merged["conditions"]),
        return_shipping_cost=float(merged["return_shipping_cost"]),
        return_shipping_paid_by=merged["return_shipping_paid_by"],
        preferred_resolution=merged["preferred_resolution"],
        label=merged["label"],
        refund_days=tuple(merged["refund_days"]),
        progress_updates=bool(merged["progress_updates"]),
        duties_regime=duties.get("regime", "on_delivery"),
        duties_threshold=float(duties.get("threshold", 0)),
        express_upgrade_fee=float(merged["express_upgrade_fee"]),
    )


def parse_policies(doc: dict[str, Any]) -> Policies:
    defaults = doc.get("defaults", {})
    comp = doc["compensation"]
    return Policies(
        countries={c: _country(c, raw, defaults) for c, raw in doc["countries"].items()},
        compensation=CompensationRules(
            coupon_pct=int(comp["coupon_pct"]),
            partial_refund_pct=dict(comp["partial_refund_pct"]),
            refund_without_return_if_item_below_return_cost=bool(
                comp["refund_without_return_if_item_below_return_cost"]
            ),
            reship_issue_types=tuple(comp["reship_issue_types"]),
        ),
        fx_per_usd={k: float(v) for k, v in doc["fx_per_usd"].items()},
        coupon_tiers=dict(comp.get("recovery_coupon") or {}),
        coupon_overrides={
            c: dict(raw["recovery_coupon"])
            for c, raw in doc["countries"].items()
            if raw.get("recovery_coupon")
        },
    )


@lru_cache(maxsize=4)
def load_policies(path: Path = POLICY_FILE) -> Policies:
    return parse_policies(yaml.safe_load(path.read_text(encoding="utf-8")))
