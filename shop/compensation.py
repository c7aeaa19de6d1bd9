"""Which remedy the compensation policy allows for a problem with one order line."""

from __future__ import annotations

from dataclasses import dataclass

from shop.models import Order, OrderLine
from shop.policy import Policies

# remedy codes (copy lives in the message catalogue)
REFUND_WITHOUT_RETURN = "refund_without_return"
RESHIP = "reship"
PARTIAL_REFUND = "partial_refund"
RETURN_REFUND = "return_refund"
EXCHANGE = "exchange"
COUPON = "coupon"


@dataclass(frozen=True)
class Remedy:
    options: tuple[str, ...]  # first is the one we recommend
    keep_item: bool  # the shopper does not need to send anything back
    partial_refund_amount: float
    coupon_pct: int
    reason: str  # why: item_below_return_cost | policy


def propose_remedy(order: Order, line: OrderLine, issue_type: str, policies: Policies) -> Remedy:
    rules = policies.compensation
    country = policies.country(order.country)
    cheap = (
        rules.refund_without_return_if_item_below_return_cost
        and line.unit_price <= country.return_shipping_cost
    )
    pct = rules.partial_refund_pct.get(issue_type, 0)
    partial = round(line.unit_price * pct / 100, 0 if order.currency in {"JPY", "VND"} else 2)
    reship_ok = issue_type in rules.reship_issue_types
    if issue_type == "late_delivery":
        return Remedy((COUPON,), True, 0.0, rules.coupon_pct, "policy")
    if cheap:
        options = (REFUND_WITHOUT_RETURN, RESHIP) if reship_ok else (REFUND_WITHOUT_RETURN,)
        return Remedy(options, True, 0.0, 0, "item_below_return_cost")
    if issue_type == "wrong_item":
        return Remedy((RESHIP, RETURN_REFUND), False, 0.0, 0, "policy")
    if issue_type == "damaged_item":
        return Remedy((RESHIP, PARTIAL_REFUND, RETURN_REFUND), False, partial, 0, "policy")
    if issue_type == "not_as_described":
        first = EXCHANGE if country.preferred_resolution == "exchange" else PARTIAL_REFUND
        rest = tuple(x for x in (PARTIAL_REFUND, RETURN_REFUND) if x != first)
        return Remedy((first, *rest), False, partial, 0, "policy")
    return Remedy((RETURN_REFUND,), False, 0.0, 0, "policy")
