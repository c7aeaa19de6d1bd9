"""Order numbers as shoppers type them (other digit systems, full width, #, spaces): one id."""

from __future__ import annotations

import pytest

from shop.store import normalize_order_id


@pytest.mark.parametrize(
    "raw",
    ["XB-204518", "xb204518", "#XB-204518", "204518", " XB 204518 ", "XB-٢٠٤٥١٨", "۲۰۴۵۱۸",
     "XB-๒๐๔๕๑๘", "ＸＢ-２０４５１８"],
)  # fmt: skip
def test_every_way_of_typing_an_order_number_gives_one_id(raw: str) -> None:
    assert normalize_order_id(raw) == "XB-204518"


@pytest.mark.parametrize("raw", ["", "XB-20451", "XB-2045189", "AB-204518", "٢٠٤٥١", "😡"])
def test_what_is_not_an_order_number_is_none(raw: str) -> None:
    assert normalize_order_id(raw) is None
