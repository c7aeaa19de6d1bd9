"""What an agent sees next to a chat: the order, its shipment, the destination country's
policy and the remedy the compensation policy suggests for this kind of problem."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from handoff import shopdata
from shop import compensation, tracking
from shop.policy import load_policies

# the bot's intent → the compensation policy's issue type
ISSUE_FOR_INTENT = {
    "damaged_item": "damaged_item",
    "wrong_item": "wrong_item",
    "not_as_described": "not_as_described",
    "track_order": "late_delivery",
    "delivery_time": "late_delivery",
}


def order_panel(order_id: str | None, intent: str | None) -> dict[str, Any] | None:
    if not order_id:
        return None
    store = shopdata.store()
    order = store.get_order(order_id)
    if order is None:
        return None
    policies = load_policies()
    policy = policies.country(order.country)
    customer = store.customer(order.email)
    shipment = order.shipment
    state = None
    try:
        state = tracking.assess(order, shopdata.route_stats(), store.now())
    except Exception:  # noqa: BLE001 - the panel shows what it can
        state = None
    issue = ISSUE_FOR_INTENT.get(intent or "")
    if issue == "late_delivery" and (state is None or state.state not in {"late", "stalled"}):
        issue = None  # a parcel on time needs no compensation
    remedy = None
    if issue and order.lines:
        line = max(order.lines, key=lambda x: x.unit_price)
        r = compensation.propose_remedy(order, line, issue, policies)
        remedy = {"issue_type": issue, "line": line.name, **asdict(r)}
    return {
        "order_id": order.order_id,
        "status": order.status,
        "email": order.email,
        "customer_name": order.customer_name,
        "country": order.country,
        "placed_at": order.placed_at.isoformat(),
        "ship_by": order.ship_by.isoformat(),
        "total": order.total,
        "currency": order.currency,
        "address": order.address,
        "lines": [
            {
                "name": x.name,
                "sku": x.sku,
                "quantity": x.quantity,
                "unit_price": x.unit_price,
                "size": x.size,
                "color": x.color,
            }
            for x in order.lines
        ],
        "shipment": None
        if shipment is None
        else {
            "carrier": shipment.carrier,
            "service": shipment.service,
            "tracking_number": shipment.tracking_number,
            "events": [
                {"at": e.at.isoformat(), "code": e.code, "place": e.place, "country": e.country}
                for e in shipment.events
            ],
        },
        "tracking": None
        if state is None
        else {
            "state": state.state,
            "window": [d.isoformat() for d in state.window] if state.window else None,
            "days_since_last_event": state.days_since_last_event,
        },
        "refunds": [
            {
                "amount": r.amount,
                "status": r.status,
                "method": r.method,
                "created_at": r.created_at.isoformat(),
            }
            for r in order.refunds
        ],
        "customer": None
        if customer is None
        else {
            "orders_count": customer.orders_count,
            "lifetime_value_usd": customer.lifetime_value_usd,
            "tier": customer.tier,
        },
        "policy": {
            "return_window_days": policy.return_window_days,
            "conditions": list(policy.conditions),
            "return_shipping_cost": policy.return_shipping_cost,
            "return_shipping_paid_by": policy.return_shipping_paid_by,
            "preferred_resolution": policy.preferred_resolution,
            "refund_days": list(policy.refund_days),
            "progress_updates": policy.progress_updates,
            "duties_regime": policy.duties_regime,
        },
        "remedy": remedy,
    }
