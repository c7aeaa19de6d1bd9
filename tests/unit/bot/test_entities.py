"""The rule entity extractor on what shoppers type: other digit systems, full width, mixes."""

from __future__ import annotations

import pytest

from bot.entities import extract


def order_ids(text: str) -> list[tuple[str, str]]:
    """(value, the text the span covers) of every order number found."""
    found = [e for e in extract(text) if e["entity"] == "order_id"]
    return [(e["value"], text[e["start"] : e["end"]]) for e in found]


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("رقم الطلب XB-٢٩٠٤١٣ وين وصل", "XB-٢٩٠٤١٣"),  # Arabic-Indic digits
        ("طلبي ٢٩٠٤١٣ ما وصل", "٢٩٠٤١٣"),
        ("سفارش من ۲۹۰۴۱۳", "۲۹۰۴۱۳"),  # Persian keyboard digits
        ("คำสั่งซื้อ XB-๒๙๐๔๑๓ ถึงไหนแล้ว", "XB-๒๙๐๔๑๓"),  # Thai digits
        ("注文番号ＸＢ－２９０４１３です", "ＸＢ－２９０４１３"),  # full width
        ("don hang XB-290413 cua e", "XB-290413"),
    ],
)
def test_an_order_number_is_the_same_whichever_digits_it_was_typed_in(
    text: str, typed: str
) -> None:
    assert order_ids(text) == [("XB-290413", typed)]


def test_sizes_in_arabic_indic_digits_are_ascii() -> None:
    sizes = [e["value"] for e in extract("مقاسي EU ٣٨ او ٣٩") if e["entity"] == "size"]
    assert sizes == ["EU 38"], sizes


def test_html_around_a_number_and_emoji_only_messages() -> None:
    assert [v for v, _ in order_ids("<b>XB-290413</b> 😡😡")] == ["XB-290413"]
    assert extract("") == [] and extract("   ") == [] and extract("😡🙏") == []
