"""Diacritic folding is for Vietnamese only: other languages reach the classifier unchanged."""

from __future__ import annotations

import pytest

from bot.classifier import classifier_text, is_vietnamese, normalize
from bot.text import fold_diacritics


def test_fold_strips_tones_hats_and_d_stroke() -> None:
    assert fold_diacritics("Đơn hàng của tôi đâu rồi?") == "Don hang cua toi dau roi?"
    assert fold_diacritics("khi nào giao hàng") == "khi nao giao hang"
    assert fold_diacritics("HUỶ ĐƠN") == "HUY DON"


@pytest.mark.parametrize(
    "text",
    [
        "đơn hàng của tôi đâu",  # Vietnamese-only letters
        "khi nào giao hàng vậy",  # only shared accents: the detector decides
        "tôi chưa nhận được hàng",
    ],
)
def test_vietnamese_is_folded(text: str) -> None:
    assert is_vietnamese(text)
    assert classifier_text(text) == normalize(fold_diacritics(text))


@pytest.mark.parametrize(
    "text",
    [
        "où est ma commande ? déjà reçu un colis abîmé",
        "¿dónde está mi pedido? ya pasó una semana",
        "perché il mio ordine non è ancora arrivato",
        "não recebi a encomenda até hoje",
        "Wo ist meine Bestellung? Ich warte schon lange, größe falsch",
        "أين طلبي؟ تأخر كثيرًا",
        "注文がまだ届きません。ガイドはどこですか",
        "พัสดุยังไม่ถึงเลยค่ะ",
        "where is my order",
    ],
)
def test_other_languages_are_not_folded(text: str) -> None:
    assert not is_vietnamese(text)
    assert classifier_text(text) == normalize(text)


def test_tagger_language_is_used_for_shared_accents() -> None:
    assert is_vietnamese("khi nào giao hàng", "vi")
    assert not is_vietnamese("khi nào giao hàng", "fr")
    assert is_vietnamese("đơn hàng", "fr")  # Vietnamese-only letters decide alone
