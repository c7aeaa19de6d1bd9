"""Recovery coupons ("a coupon for the next order"): the rule per country and tier from
policies.yml, single-use codes with an expiry, and where the codes are kept.

The sample store keeps codes in a `CouponBook` (memory here; Redis for the action server,
see actions/clients/redis_state.py); a real platform adapter implements
`ShopStore.create_coupon` / `redeem_coupon` with the platform's discount-code API instead.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from shop.models import Order
from shop.policy import Policies

TIERS: Final = ("late_parcel", "remedy", "refund")
KINDS: Final = ("percent", "fixed")
_ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone
WHOLE_UNITS: Final = frozenset({"JPY", "VND"})


class CouponError(ValueError):
    """A code that cannot be used; `reason` is unknown | used | expired | min_order | currency."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class CouponRule:
    tier: str
    kind: str  # percent | fixed
    value: float  # percent, or an amount in `currency`
    currency: str
    min_order: float  # in `currency`
    expiry_days: int


def _round(amount: float, currency: str) -> float:
    return float(round(amount)) if currency in WHOLE_UNITS else round(amount, 2)


def coupon_rule(policies: Policies, country: str, tier: str) -> CouponRule:
    """The tier's rule for a country: the country's own override, else the shop-wide rule
    with USD amounts converted to the country's currency."""
    if tier not in TIERS:
        raise ValueError(f"unknown coupon tier {tier!r}")
    cp = policies.country(country)
    local = policies.coupon_overrides.get(cp.code, {}).get(tier)
    if local:
        raw, to_local = local, lambda x: _round(float(x), cp.currency)
    else:
        raw = policies.coupon_tiers[tier]

        def to_local(x: Any) -> float:
            return _round(policies.to_local(float(x), cp.currency), cp.currency)

    kind = str(raw["kind"])
    if kind not in KINDS:
        raise ValueError(f"coupon kind is one of {KINDS}, not {kind!r}")
    value = float(raw["value"]) if kind == "percent" else to_local(raw["value"])
    minimum = raw.get("min_order", raw.get("min_order_usd", 0))
    return CouponRule(tier, kind, value, cp.currency, to_local(minimum), int(raw["expiry_days"]))


@dataclass(frozen=True)
class Coupon:
    code: str
    tier: str
    kind: str
    value: float
    currency: str
    min_order: float
    expires_at: str  # ISO 8601, UTC
    order_id: str
    email: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Coupon:
        return cls(
            code=str(raw["code"]),
            tier=str(raw["tier"]),
            kind=str(raw["kind"]),
            value=float(raw["value"]),
            currency=str(raw["currency"]),
            min_order=float(raw["min_order"]),
            expires_at=str(raw["expires_at"]),
            order_id=str(raw["order_id"]),
            email=str(raw["email"]),
        )

    def discount(self, order_total: float) -> float:
        if self.kind == "percent":
            return _round(order_total * self.value / 100, self.currency)
        return min(self.value, order_total)


class CouponBook(ABC):
    """Where issued codes are kept; `mark_redeemed` must be atomic (first caller wins)."""

    @abstractmethod
    def add(self, coupon: Coupon, ttl_s: int) -> None: ...

    @abstractmethod
    def get(self, code: str) -> Coupon | None: ...

    @abstractmethod
    def mark_redeemed(self, code: str, at: str) -> bool: ...

    @abstractmethod
    def first_for(self, order_id: str, tier: str) -> bool:
        """True the first time only: one late-parcel coupon per order, however often asked."""


class MemoryCouponBook(CouponBook):
    def __init__(self) -> None:
        self.coupons: dict[str, Coupon] = {}
        self.redeemed: dict[str, str] = {}
        self.issued_for: set[tuple[str, str]] = set()

    def add(self, coupon: Coupon, ttl_s: int) -> None:
        self.coupons[coupon.code] = coupon

    def get(self, code: str) -> Coupon | None:
        return self.coupons.get(code)

    def mark_redeemed(self, code: str, at: str) -> bool:
        if code in self.redeemed:
            return False
        self.redeemed[code] = at
        return True

    def first_for(self, order_id: str, tier: str) -> bool:
        if (order_id, tier) in self.issued_for:
            return False
        self.issued_for.add((order_id, tier))
        return True


def new_code() -> str:
    return "XB" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


def issue(book: CouponBook, policies: Policies, order: Order, tier: str, now: datetime) -> Coupon:
    rule = coupon_rule(policies, order.country, tier)
    expires = now + timedelta(days=rule.expiry_days)
    coupon = Coupon(
        code=new_code(),
        tier=tier,
        kind=rule.kind,
        value=rule.value,
        currency=rule.currency,
        min_order=rule.min_order,
        expires_at=expires.isoformat(),
        order_id=order.order_id,
        email=order.email,
    )
    book.add(coupon, ttl_s=int((expires - now).total_seconds()) + 86400)
    return coupon


def redeem(book: CouponBook, code: str, order_total: float, currency: str, now: datetime) -> Coupon:
    """Use a code once on an order; raises CouponError when it cannot be used."""
    coupon = book.get(code.strip().upper())
    if coupon is None:
        raise CouponError("unknown", "no such coupon code")
    if now >= datetime.fromisoformat(coupon.expires_at):
        raise CouponError("expired", "this coupon has expired")
    if currency != coupon.currency:
        raise CouponError("currency", f"this coupon is for orders in {coupon.currency}")
    if order_total < coupon.min_order:
        raise CouponError("min_order", f"the order must be at least {coupon.min_order:g}")
    if not book.mark_redeemed(coupon.code, now.isoformat()):
        raise CouponError("used", "this coupon has already been used")
    return coupon
