"""Tracking, verification and delivery-time actions, run from tracker fixtures."""

from __future__ import annotations

from actions.delivery import ActionDeliveryTime
from actions.tracking import ActionTrackOrder
from actions.verification import ActionInform
from bot.copy import Fmt
from shop.routes import RouteStats
from shop.tracking import assess
from tests.conftest import ent, make_tracker, order_where, run_action, slot_events, texts


def verified_run(action, order, text="where is my parcel", intent="track_order"):  # type: ignore[no-untyped-def]
    tracker = make_tracker(
        text, intent, [ent("order_id", order.order_id), ent("email", order.email)]
    )
    return run_action(action, tracker)


def test_unverified_question_asks_for_order_and_email() -> None:
    events, messages = run_action(
        ActionTrackOrder(), make_tracker("where is my parcel", "track_order")
    )
    assert "order number" in texts(messages) and "email" in texts(messages)
    assert slot_events(events)["pending_request"] == "track_order"
    assert "verified_order" not in slot_events(events)


def test_in_transit_answer_states_carrier_scan_and_route_window(store) -> None:  # type: ignore[no-untyped-def]
    order = order_where(store, "in_transit", status="shipped")
    events, messages = verified_run(ActionTrackOrder(), order)
    reply = texts(messages)
    shipment = order.shipment
    last = shipment.events[-1]
    a = assess(order, RouteStats(store.all_orders()), store.now())
    assert shipment.carrier in reply and shipment.tracking_number in reply
    assert last.place in reply
    assert Fmt("en", order.country).date(last.at) in reply
    assert (
        a.leg is not None and f"{max(1, round(a.leg.p10))}–{max(1, round(a.leg.p90))} days" in reply
    )
    assert Fmt("en", order.country).date(a.window[1]) in reply
    assert slot_events(events)["verified_order"] == order.order_id


def test_wrong_email_gets_no_hint_and_no_details(store) -> None:  # type: ignore[no-untyped-def]
    order = order_where(store, "in_transit", status="shipped")
    tracker = make_tracker(
        "here",
        "inform",
        [ent("order_id", order.order_id), ent("email", "someone.else@example.com")],
        slots={"pending_request": "track_order"},
    )
    events, messages = run_action(ActionInform(), tracker)
    other = make_tracker(
        "here",
        "inform",
        [ent("order_id", "XB-999999"), ent("email", order.email)],
        slots={"pending_request": "track_order"},
    )
    _, other_messages = run_action(ActionInform(), other)
    assert texts(messages) == texts(other_messages)  # same words whichever part was wrong
    assert order.shipment.tracking_number not in texts(messages)
    slots = slot_events(events)
    assert slots["order_id"] is None and slots["email"] is None
    assert "verified_order" not in slots


def test_repeated_failures_lock_the_conversation(store) -> None:  # type: ignore[no-untyped-def]
    order = order_where(store, "delivered")
    messages = []
    for attempt in range(6):
        tracker = make_tracker(
            "x",
            "inform",
            [ent("order_id", order.order_id), ent("email", f"guess{attempt}@example.com")],
            slots={"pending_request": "track_order"},
            sender="brute",
        )
        _, messages = run_action(ActionInform(), tracker)
    # even the right email is refused while locked
    right = make_tracker(
        "x",
        "inform",
        [ent("order_id", order.order_id), ent("email", order.email)],
        slots={"pending_request": "track_order"},
        sender="brute",
    )
    events, messages = run_action(ActionInform(), right)
    assert "security" in texts(messages)
    assert "verified_order" not in slot_events(events)


def test_inform_completes_the_pending_request(store) -> None:  # type: ignore[no-untyped-def]
    order = order_where(store, "customs_hold")
    first = make_tracker(
        "my order is " + order.order_id,
        "inform",
        [ent("order_id", order.order_id)],
        slots={"pending_request": "track_order"},
    )
    events, messages = run_action(ActionInform(), first)
    assert order.order_id in texts(messages) and "email" in texts(messages)
    second = make_tracker(
        order.email,
        "inform",
        [ent("email", order.email)],
        slots={"pending_request": "track_order", "order_id": order.order_id},
    )
    events, messages = run_action(ActionInform(), second)
    assert "held by customs" in texts(messages)
    assert slot_events(events)["pending_request"] is None


def test_exceptions_get_specific_answers(store) -> None:  # type: ignore[no-untyped-def]
    expectations = {
        "customs_hold": "customs",
        "delivery_failed": "couldn't",
        "stalled": "trace",
        "processing_late": "our delay",
    }
    for scenario, phrase in expectations.items():
        order = next(
            o
            for o in store.all_orders()
            if store.scenarios[o.order_id] == scenario
            and (
                scenario == "processing_late"
                or o.shipment.events[-1].code
                in {"customs_hold", "delivery_failed", "arrived_destination"}
            )
        )
        _, messages = verified_run(ActionTrackOrder(), order)
        assert phrase in texts(messages), (scenario, texts(messages))


def test_returned_parcel_offers_reship(store) -> None:  # type: ignore[no-untyped-def]
    order = next(
        o
        for o in store.all_orders()
        if o.shipment and o.shipment.events and o.shipment.events[-1].code == "returned_to_sender"
    )
    events, messages = verified_run(ActionTrackOrder(), order)
    assert "came back to us" in texts(messages)
    assert '"kind": "reship"' in slot_events(events)["pending_offer"]
    assert next(m for m in messages if m.get("text"))["buttons"][0]["payload"] == "/affirm"


def test_delivery_time_offers_express_only_before_shipping(store) -> None:  # type: ignore[no-untyped-def]
    waiting = order_where(store, "processing", shipping_service="standard")
    events, messages = verified_run(
        ActionDeliveryTime(), waiting, "can it come faster", "delivery_time"
    )
    assert "express" in texts(messages)
    assert '"kind": "express"' in slot_events(events)["pending_offer"]
    moving = order_where(store, "in_transit", status="shipped", shipping_service="standard")
    events, messages = verified_run(
        ActionDeliveryTime(), moving, "can it come faster", "delivery_time"
    )
    assert "can't be switched to express" in texts(messages)
    assert "pending_offer" not in slot_events(events)


def test_delivery_time_for_a_country_needs_no_order() -> None:
    tracker = make_tracker("how long to Germany", "delivery_time", [ent("country", "DE")])
    _, messages = run_action(ActionDeliveryTime(), tracker)
    assert "Germany" in texts(messages) and "express" in texts(messages)


def test_customer_token_skips_verification(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import hashlib
    import hmac
    import time

    monkeypatch.setenv("CUSTOMER_TOKEN_SECRET", "s3cret")
    order = order_where(store, "in_transit", status="shipped")
    expiry = str(int(time.time()) + 600)
    sig = hmac.new(b"s3cret", f"{order.email}|{expiry}".encode(), hashlib.sha256).hexdigest()
    tracker = make_tracker(
        "where is my parcel",
        "track_order",
        metadata={"customer_token": f"{order.email}|{expiry}|{sig}"},
    )
    events, messages = run_action(ActionTrackOrder(), tracker)
    assert slot_events(events)["verified_order"] in {
        o.order_id for o in store.orders_for_email(order.email)
    }
    forged = make_tracker(
        "where is my parcel",
        "track_order",
        metadata={"customer_token": f"{order.email}|{expiry}|{'0' * 64}"},
    )
    events, messages = run_action(ActionTrackOrder(), forged)
    assert "verified_order" not in slot_events(events)


def test_data_with_a_question_answers_the_question(store) -> None:  # type: ignore[no-untyped-def]
    order = order_where(store, "customs_hold")
    tracker = make_tracker(
        f"where is {order.order_id}? {order.email}",
        "inform",
        [ent("order_id", order.order_id), ent("email", order.email)],
    )
    tracker.latest_message["intent_ranking"] = [
        {"name": "inform", "confidence": 0.55},
        {"name": "track_order", "confidence": 0.3},
    ]
    _, messages = run_action(ActionInform(), tracker)
    assert "held by customs" in texts(messages)
    tracker.latest_message["intent_ranking"] = [{"name": "inform", "confidence": 0.95}]
    _, messages = run_action(ActionInform(), tracker)
    assert "found order" in texts(messages)


def test_stalled_parcel_gets_one_recovery_coupon(store) -> None:  # type: ignore[no-untyped-def]
    from actions.clients import shop
    from shop.coupons import MemoryCouponBook

    store.coupons = MemoryCouponBook()  # earlier tests asked about these parcels too
    order = next(
        o
        for o in store.all_orders()
        if store.scenarios[o.order_id] == "stalled"
        and assess(o, shop.route_stats(), store.now()).state in {"late", "stalled"}
    )
    _, messages = verified_run(ActionTrackOrder(), order)
    first = texts(messages)
    assert "one-time code for your next order" in first and "10%" in first, first
    _, messages = verified_run(ActionTrackOrder(), order)  # asked again: no second code
    assert "one-time code" not in texts(messages)
