"""What the bot settled, as review-loop events: remedies offered and accepted (with the
amount), refunds, returns started, and conversations the bot resolved without a person.

Amounts are in the order's currency; every event carries the order id and, once recorded,
the case id, so the reports can join the events to the cases.
"""

from __future__ import annotations

from typing import Any

from actions.base import Ctx
from actions.clients import events
from actions.coupons import REFUND_OPTIONS
from shop.compensation import RETURN_REFUND
from shop.models import Order


def remedy_amount(offer: dict[str, Any], option: str) -> float:
    """What the option gives back in money (0 for a reship, an exchange...)."""
    return float(
        {
            "refund_without_return": offer["unit_price"],
            "partial_refund": offer["partial"],
            "return_refund": offer["unit_price"],
        }.get(option, 0)
    )


def _remedy(order: Order, offer: dict[str, Any], option: str) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "sku": offer.get("sku"),
        "issue_type": offer.get("issue"),
        "remedy": option,
        "amount": round(remedy_amount(offer, option), 2),
        "currency": order.currency,
    }


def remedy_offered(ctx: Ctx, order: Order, offer: dict[str, Any], option: str) -> None:
    events.emit("remedy_offered", ctx.tracker.sender_id, **_remedy(order, offer, option))


def remedy_accepted(
    ctx: Ctx, order: Order, offer: dict[str, Any], option: str, case_id: str
) -> None:
    """The accepted remedy, then what it sets going: a refund, a return, a settled chat."""
    facts = _remedy(order, offer, option)
    events.emit("remedy_accepted", ctx.tracker.sender_id, **facts, case_id=case_id)
    if option in REFUND_OPTIONS:
        refund(ctx, order, facts["amount"], option, case_id)
    if option == RETURN_REFUND:
        return_started(ctx, order, case_id, offer.get("sku"))
    bot_resolved(ctx, offer.get("issue"), option, case_id)


def refund(ctx: Ctx, order: Order, amount: float, reason: str, case_id: str) -> None:
    events.emit(
        "refund",
        ctx.tracker.sender_id,
        order_id=order.order_id,
        amount=round(float(amount), 2),
        currency=order.currency,
        reason=reason,
        case_id=case_id,
    )


def return_started(ctx: Ctx, order: Order, case_id: str, sku: str | None = None) -> None:
    skus = [sku] if sku else [line.sku for line in order.lines]
    events.emit(
        "return_started",
        ctx.tracker.sender_id,
        order_id=order.order_id,
        sku=skus[0] if len(skus) == 1 else None,
        skus=skus,
        case_id=case_id,
    )


def bot_resolved(ctx: Ctx, issue: str | None, resolution: str, case_id: str | None) -> None:
    events.emit(
        "bot_resolved",
        ctx.tracker.sender_id,
        intent=ctx.intent or None,
        issue_type=issue,
        resolution=resolution,
        case_id=case_id,
        source="action",
    )
