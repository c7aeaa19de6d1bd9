"""Date questions: the parser per language, and the yes / likely / unlikely answers."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from actions.dates import expected_window
from actions.delivery import ActionDeliveryTime
from actions.handoff import ActionComplain
from actions.tracking import ActionTrackOrder
from actions.verification import ActionInform
from bot import copy as copy_
from bot.copy import Fmt
from shop.dates import find_target_date
from tests.conftest import ent, make_tracker, order_where, run_action, slot_events, texts

WED = date(2025, 12, 10)  # a Wednesday: Saturday is the 13th, Friday the 12th


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # English (US by default: month first when the numbers allow both)
        ("en", "can it arrive before Saturday?", date(2025, 12, 13)),
        ("en", "will it be here by Friday", date(2025, 12, 12)),
        ("en", "I need it before the 24th", date(2025, 12, 24)),
        ("en", "by 24/12?", date(2025, 12, 24)),
        ("en", "by 12/20?", date(2025, 12, 20)),
        ("en", "before Christmas", date(2025, 12, 25)),
        ("en", "before Christmas Eve", date(2025, 12, 24)),
        ("en", "by December 20th", date(2025, 12, 20)),
        ("en", "tomorrow?", date(2025, 12, 11)),
        ("en", "in 3 days", date(2025, 12, 13)),
        ("en", "sometime next week?", date(2025, 12, 21)),
        ("en", "before new year", date(2026, 1, 1)),
        # German
        ("de", "Kommt das noch vor Weihnachten an?", date(2025, 12, 24)),
        ("de", "bis Samstag?", date(2025, 12, 13)),
        ("de", "bis zum 20.", date(2025, 12, 20)),
        ("de", "am 24.12.", date(2025, 12, 24)),
        ("de", "übermorgen", date(2025, 12, 12)),
        ("de", "vor Silvester", date(2025, 12, 31)),
        # French
        ("fr", "avant samedi ?", date(2025, 12, 13)),
        ("fr", "avant le 20", date(2025, 12, 20)),
        ("fr", "pour Noël", date(2025, 12, 24)),
        ("fr", "d'ici le 22 décembre", date(2025, 12, 22)),
        ("fr", "demain", date(2025, 12, 11)),
        # Spanish
        ("es", "¿llega antes del sábado?", date(2025, 12, 13)),
        ("es", "antes del 20 de diciembre", date(2025, 12, 20)),
        ("es", "para Nochebuena", date(2025, 12, 24)),
        ("es", "pasado mañana", date(2025, 12, 12)),
        # Italian
        ("it", "arriva prima di Natale?", date(2025, 12, 24)),
        ("it", "entro venerdì", date(2025, 12, 12)),
        ("it", "entro il 20", date(2025, 12, 20)),
        ("it", "tra 5 giorni", date(2025, 12, 15)),
        # Portuguese
        ("pt", "chega antes do Natal?", date(2025, 12, 24)),
        ("pt", "até sexta?", date(2025, 12, 12)),
        ("pt", "até dia 20", date(2025, 12, 20)),
        ("pt", "amanhã", date(2025, 12, 11)),
        # Arabic (Arabic-Indic digits too)
        ("ar", "هل يصل قبل السبت؟", date(2025, 12, 13)),
        ("ar", "قبل ٢٠ ديسمبر", date(2025, 12, 20)),
        ("ar", "هل يصل غداً؟", date(2025, 12, 11)),
        # Japanese (12/24 is month first; full-width digits)
        ("ja", "土曜日までに届きますか", date(2025, 12, 13)),
        ("ja", "２０日までに届きますか", date(2025, 12, 20)),
        ("ja", "12月24日までに", date(2025, 12, 24)),
        ("ja", "12/20までに", date(2025, 12, 20)),
        ("ja", "クリスマスまでに届きますか", date(2025, 12, 25)),
        ("ja", "3日後に届きますか", date(2025, 12, 13)),
        # Vietnamese
        ("vi", "có đến trước thứ Bảy không?", date(2025, 12, 13)),
        ("vi", "trước thứ 7", date(2025, 12, 13)),
        ("vi", "trước ngày 20 tháng 12", date(2025, 12, 20)),
        ("vi", "ngày mai có tới không", date(2025, 12, 11)),
        # Thai
        ("th", "จะมาถึงก่อนวันเสาร์ไหม", date(2025, 12, 13)),
        ("th", "ภายในวันที่ 20", date(2025, 12, 20)),
        ("th", "ก่อน 20 ธันวาคม", date(2025, 12, 20)),
        ("th", "พรุ่งนี้ได้ไหม", date(2025, 12, 11)),
        ("th", "ก่อนสงกรานต์", date(2026, 4, 13)),
    ],
)
def test_parser_finds_the_date_in_each_language(lang: str, text: str, expected: date) -> None:
    assert find_target_date(text, lang, WED) == expected


def test_numbers_follow_the_country() -> None:
    assert find_target_date("by 1/12", "en", WED, "US") == date(2026, 1, 12)
    assert find_target_date("by 1/12", "en", WED, "GB") == date(2026, 12, 1)  # 1 Dec passed
    assert find_target_date("by 20/1", "en", WED, "US") == date(2026, 1, 20)  # no 20th month


def test_weekday_is_the_next_one_never_today() -> None:
    assert find_target_date("by Wednesday", "en", WED) == date(2025, 12, 17)


def test_year_rollover_in_december() -> None:
    late = date(2025, 12, 28)
    assert find_target_date("by the 3rd", "en", late) == date(2026, 1, 3)
    assert find_target_date("by 5 January", "en", late) == date(2026, 1, 5)
    assert find_target_date("vor Weihnachten", "de", late) == date(2026, 12, 24)
    assert find_target_date("by Friday", "en", late) == date(2026, 1, 2)


def test_a_date_already_past() -> None:
    # no year: the next one; an explicit year is kept, even in the past
    assert find_target_date("by the 5th", "en", WED) == date(2026, 1, 5)
    assert find_target_date("before 3 December", "en", WED) == date(2026, 12, 3)
    assert find_target_date("before 3/12/2025", "en", WED, "GB") == date(2025, 12, 3)
    assert find_target_date("before 2025-12-01", "en", WED) == date(2025, 12, 1)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "where is my parcel"),
        ("en", "order XB-204518, 3 items, it cost 12.50 €"),
        ("en", "I ordered the 2 jackets"),
        ("de", "heute Morgen bestellt, um 10.30"),
        ("es", "lo pedí por la mañana"),
        ("fr", "où est mon colis ?"),
        ("ja", "ライブ用に注文しました"),
        ("ja", "配送には何日かかりますか"),
        ("pt", "é a segunda vez que pergunto"),
        ("th", "พัสดุอยู่ที่ไหนคะ"),
        ("ar", "أين طلبي؟"),
        ("vi", "đơn hàng của tôi đâu rồi"),
        ("it", "dov'è il mio pacco?"),
    ],
)
def test_no_date_gives_none(lang: str, text: str) -> None:
    assert find_target_date(text, lang, WED) is None


# --- the answers --------------------------------------------------------------------


def ask(action, order, text: str, lang: str = "en", intent: str = "delivery_time"):  # type: ignore[no-untyped-def]
    tracker = make_tracker(
        text,
        intent,
        [ent("order_id", order.order_id), ent("email", order.email)],
        metadata={"language": lang},
    )
    return run_action(action, tracker)


def iso(value: datetime) -> str:
    return value.date().isoformat()


def expected_copy(key: str, lang: str, order, target: date, window) -> str:  # type: ignore[no-untyped-def]
    fmt = Fmt(lang, order.country)
    at = datetime.combine(target, window[0].timetz())
    return copy_.render(
        key,
        lang,
        order_id=order.order_id,
        target=fmt.date(at),
        start=fmt.date(window[0]),
        end=fmt.date(window[1]),
    )


def test_yes_when_the_latest_day_is_before_the_date(store) -> None:  # type: ignore[no-untyped-def]
    order = order_where(store, "in_transit", status="shipped")
    window = expected_window(order, store.now())
    target = window[1].date() + timedelta(days=1)
    _, messages = ask(ActionDeliveryTime(), order, f"can it arrive by {target.isoformat()}?")
    assert texts(messages).strip() == expected_copy("date_yes", "en", order, target, window)


def test_likely_inside_the_window_in_german(store) -> None:  # type: ignore[no-untyped-def]
    order = order_where(store, "in_transit", status="shipped")
    window = expected_window(order, store.now())
    assert window[1].date() > window[0].date()
    target = (
        window[1].date() - timedelta(days=1)
        if (window[1].date() - window[0].date()).days > 1
        else window[0].date()
    )
    _, messages = ask(
        ActionTrackOrder(),
        order,
        f"Kommt es bis {target.day}.{target.month}. an?",
        "de",
        intent="track_order",
    )
    reply = texts(messages).strip()
    assert reply == expected_copy("date_likely", "de", order, target, window)
    assert order.shipment.tracking_number not in reply  # the date answer, not the tracking text


def test_unlikely_before_the_earliest_day_offers_express_when_not_shipped(store) -> None:  # type: ignore[no-untyped-def]
    order = order_where(store, "processing", shipping_service="standard")
    window = expected_window(order, store.now())
    target = window[0].date() - timedelta(days=1)
    assert target > store.now().date()
    events, messages = ask(ActionDeliveryTime(), order, f"avant le {target.isoformat()} ?", "fr")
    reply = texts(messages).strip()
    assert expected_copy("date_unlikely", "fr", order, target, window) in reply
    assert "express" in reply
    assert json.loads(slot_events(events)["pending_offer"])["kind"] == "express"


def test_date_question_during_customs_hold_answers_the_date(store) -> None:  # type: ignore[no-untyped-def]
    order = order_where(store, "customs_hold")
    window = expected_window(order, store.now())
    target = window[1].date() + timedelta(days=3)
    _, messages = ask(
        ActionTrackOrder(), order, f"will it arrive by {target.isoformat()}?", intent="track_order"
    )
    reply = texts(messages).strip()
    assert reply == expected_copy("date_yes", "en", order, target, window)
    assert "customs" not in reply


def test_no_date_keeps_the_usual_answer(store) -> None:  # type: ignore[no-untyped-def]
    order = order_where(store, "in_transit", status="shipped")
    _, messages = ask(ActionTrackOrder(), order, "where is my parcel", intent="track_order")
    assert order.shipment.tracking_number in texts(messages)


def test_complaint_after_verification_does_not_ask_for_the_order_again(store) -> None:  # type: ignore[no-untyped-def]
    order = order_where(store, "in_transit", status="shipped")
    tracker = make_tracker(
        "this is ridiculous, where is my stuff!!",
        "complain",
        slots={"verified_order": order.order_id},
    )
    _, messages = run_action(ActionComplain(), tracker)
    reply = texts(messages).strip()
    assert "order number" not in reply
    assert copy_.render("complain", "en") not in reply
    assert order.order_id in reply and order.shipment.tracking_number in reply
    assert any(b.get("payload") == "/human_handoff" for m in messages for b in m.get("buttons", []))


def test_complaint_without_an_order_still_asks_for_it() -> None:
    _, messages = run_action(ActionComplain(), make_tracker("this is ridiculous", "complain"))
    assert "order number" in texts(messages)


def test_a_date_asked_before_verification_is_answered_after_it(store) -> None:  # type: ignore[no-untyped-def]
    order = order_where(store, "in_transit", status="shipped")
    window = expected_window(order, store.now())
    target = window[1].date() + timedelta(days=1)
    asking = make_tracker(f"can it arrive by {target.isoformat()}?", "delivery_time")
    events, messages = run_action(ActionDeliveryTime(), asking)
    slots = slot_events(events)
    assert slots["asked_date"] == target.isoformat() and "order number" in texts(messages)
    proving = make_tracker(
        f"{order.order_id} {order.email}",
        "inform",
        [ent("order_id", order.order_id), ent("email", order.email)],
        slots={"pending_request": slots["pending_request"], "asked_date": slots["asked_date"]},
    )
    events, messages = run_action(ActionInform(), proving)
    assert expected_copy("date_yes", "en", order, target, window) in texts(messages)
    assert slot_events(events)["asked_date"] is None  # answered once
