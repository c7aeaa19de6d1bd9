"""What the bot settles lands on the real Redis events stream with the right facts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis

from actions.clients import events as action_events
from actions.orders import ActionCancelOrder
from actions.problems import ActionReportProblem
from actions.returns import ActionReturnRequest
from actions.smalltalk import ActionAffirm, ActionDeny
from handoff import keys
from handoff.cases.events import Event, SyncEventBus
from tests.conftest import make_tracker, order_where, run_action, slot_events, texts


@pytest.fixture
def stream(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    monkeypatch.setattr(action_events, "bus", lambda: SyncEventBus(client))
    yield client
    client.close()


def landed(client: redis.Redis) -> list[Event]:
    return [Event.from_json(f[b"event"]) for _, f in client.xrange(keys.EVENTS_STREAM)]


def verified(order: Any, text: str, intent: str, sender: str) -> Any:
    return make_tracker(
        text, intent, slots={"verified_order": order.order_id}, metadata={"language": "en"},
        sender=sender,
    )  # fmt: skip


def answer(offer: str, order: Any, sender: str, yes: bool = True) -> tuple[Any, str]:
    tracker = make_tracker(
        "yes" if yes else "no",
        "affirm" if yes else "deny",
        slots={"pending_offer": offer, "verified_order": order.order_id},
        sender=sender,
    )
    events, messages = run_action(ActionAffirm() if yes else ActionDeny(), tracker)
    return events, texts(messages)


def _cheap_problem(store: Any) -> Any:
    for order in store.all_orders():
        if order.status != "delivered" or len(order.lines) != 1:
            continue
        if order.lines[0].unit_price <= store.policies.country(order.country).return_shipping_cost:
            return order
    raise LookupError


def test_an_accepted_refund_remedy_emits_offer_acceptance_refund_and_resolution(
    store: Any, stream: redis.Redis
) -> None:
    order = _cheap_problem(store)
    line = order.lines[0]
    events, _ = run_action(
        ActionReportProblem(), verified(order, "it arrived broken", "damaged_item", "conv-r1")
    )
    offered = landed(stream)
    assert [e.kind for e in offered] == ["remedy_offered"]
    assert offered[0].conversation_id == "conv-r1"
    assert offered[0].data == {
        "order_id": order.order_id, "sku": line.sku, "issue_type": "damaged_item",
        "remedy": "refund_without_return", "amount": round(line.unit_price, 2),
        "currency": order.currency,
    }  # fmt: skip
    _, said = answer(slot_events(events)["pending_offer"], order, "conv-r1")
    case_id = re.search(r"C-\d{6}", said).group()  # type: ignore[union-attr]
    by_kind = {e.kind: e for e in landed(stream)}
    assert list(by_kind) == [
        "remedy_offered", "remedy_accepted", "refund", "bot_resolved", "coupon_issued",
    ]  # fmt: skip
    accepted = by_kind["remedy_accepted"].data
    assert accepted == {**offered[0].data, "case_id": case_id}
    assert by_kind["refund"].data == {
        "order_id": order.order_id, "amount": round(line.unit_price, 2),
        "currency": order.currency, "reason": "refund_without_return", "case_id": case_id,
    }  # fmt: skip
    resolved = by_kind["bot_resolved"].data
    assert (resolved["case_id"], resolved["resolution"]) == (case_id, "refund_without_return")
    assert resolved["issue_type"] == "damaged_item" and resolved["source"] == "action"
    assert by_kind["coupon_issued"].data["order_id"] == order.order_id


def test_declining_offers_the_next_remedy_and_a_reship_refunds_nothing(
    store: Any, stream: redis.Redis
) -> None:
    order = _cheap_problem(store)
    events, _ = run_action(
        ActionReportProblem(), verified(order, "it arrived broken", "damaged_item", "conv-r2")
    )
    offer = json.loads(slot_events(events)["pending_offer"])
    if len(offer["options"]) < 2:
        pytest.skip("this sample order has a single remedy")
    events, _ = answer(json.dumps(offer), order, "conv-r2", yes=False)
    second = landed(stream)[-1]
    assert second.kind == "remedy_offered"
    assert (second.data["remedy"], second.data["amount"]) == (offer["options"][1], 0.0)
    answer(slot_events(events)["pending_offer"], order, "conv-r2")
    kinds = [e.kind for e in landed(stream)]
    assert kinds[:4] == ["remedy_offered", "remedy_offered", "remedy_accepted", "bot_resolved"]
    assert "refund" not in kinds
    assert landed(stream)[2].data["remedy"] == offer["options"][1]


def test_an_accepted_return_starts_a_return_for_the_orders_items(
    store: Any, stream: redis.Redis
) -> None:
    now = store.now()
    order = next(
        o
        for o in store.all_orders()
        if o.status == "delivered"
        and now - o.shipment.delivered_at
        < timedelta(days=store.policies.country(o.country).return_window_days - 2)
    )
    events, _ = run_action(ActionReturnRequest(), verified(order, "r", "return_request", "conv-r3"))
    assert landed(stream) == []  # explaining the policy is not a fact yet
    _, said = answer(slot_events(events)["pending_offer"], order, "conv-r3")
    case_id = re.search(r"C-\d{6}", said).group()  # type: ignore[union-attr]
    started, resolved = landed(stream)
    assert started.kind == "return_started" and started.conversation_id == "conv-r3"
    assert started.data["order_id"] == order.order_id and started.data["case_id"] == case_id
    assert started.data["skus"] == [line.sku for line in order.lines]
    assert resolved.kind == "bot_resolved" and resolved.data["resolution"] == "return_label_sent"


def test_a_cancelled_order_is_refunded_in_full(store: Any, stream: redis.Redis) -> None:
    order = order_where(store, "processing")
    events, _ = run_action(ActionCancelOrder(), verified(order, "cancel", "cancel_order", "c-4"))
    answer(slot_events(events)["pending_offer"], order, "c-4")
    refund, resolved = landed(stream)
    assert refund.kind == "refund" and refund.data["reason"] == "cancelled"
    assert (refund.data["amount"], refund.data["currency"]) == (
        round(order.total, 2),
        order.currency,
    )
    assert resolved.kind == "bot_resolved" and resolved.data["case_id"] == refund.data["case_id"]


def test_redis_down_loses_the_fact_but_not_the_reply(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(action_events, "bus", lambda: SyncEventBus(dead))
    assert action_events.emit("refund", "c-5", amount=1.0) is False
    order = order_where(store, "processing")
    events, _ = run_action(ActionCancelOrder(), verified(order, "cancel", "cancel_order", "c-5"))
    _, said = answer(slot_events(events)["pending_offer"], order, "c-5")
    assert f"Order {order.order_id} is cancelled" in said
