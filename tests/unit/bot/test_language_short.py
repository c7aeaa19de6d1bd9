"""Language identification from the first word (bot/language.py): short texts, scripts,
stickiness. The texts here are written for these tests, not taken from the NLU data."""

from __future__ import annotations

import pytest

from bot import language
from bot.language import Detection, choose, detect


@pytest.mark.parametrize(
    "text",
    "返品 配送 注文 住所変更 返金 在庫 領収書 不良品 追跡番号 電話番号 請求書 問題 箱".split(),
)
def test_kanji_only_japanese_words_are_japanese(text: str) -> None:
    found = detect(text)
    assert found.language == "ja", found
    assert found.method == "script"


@pytest.mark.parametrize("text", ["キャンセル", "ありがとう", "まだ届かない", "サイズ 交換"])
def test_kana_is_japanese(text: str) -> None:
    assert detect(text).language == "ja"


def test_chinese_only_when_the_text_or_the_hint_says_so() -> None:
    assert detect("你好").language == "zh"  # 你 is not written in Japanese
    assert detect("谢谢").language == "zh"  # simplified form
    assert detect("我的包裹").language == "zh"
    assert detect("返品", hint="zh-CN").language == "zh"
    assert detect("返品", hint="ja-JP").language == "ja"
    # 変 is a Japanese form: the hint does not make it Chinese
    assert detect("住所変更", hint="zh").language == "ja"


@pytest.mark.parametrize(
    "text,lang",
    [
        ("hola", "es"),
        ("gracias", "es"),
        ("devolución", "es"),
        ("contraseña", "es"),
        ("obrigado", "pt"),
        ("encomenda", "pt"),
        ("cadê", "pt"),
        ("amanhã", "pt"),
        ("grazie", "it"),
        ("spedizione", "it"),
        ("rimborso", "it"),
        ("buongiorno", "it"),
        ("scarpe", "it"),
        ("danke", "de"),
        ("Bestellung", "de"),
        ("merci", "fr"),
        ("remboursement", "fr"),
        ("thanks", "en"),
        ("refund", "en"),
    ],
)
def test_distinctive_single_words(text: str, lang: str) -> None:
    assert detect(text).language == lang


@pytest.mark.parametrize(
    "text,lang",
    [
        ("mi pedido", "es"),
        ("meu pedido", "pt"),
        ("mio ordine", "it"),
        ("quiero reembolso", "es"),
        ("não chegou", "pt"),
        ("non arrivato", "it"),
        ("mon colis", "fr"),
        ("zu klein", "de"),
        ("wrong size", "en"),
        ("hoàn tiền", "vi"),
        ("toi chua nhan duoc hang", "vi"),  # no diacritics
    ],
)
def test_word_pairs(text: str, lang: str) -> None:
    assert detect(text).language == lang


def test_an_ambiguous_word_follows_the_hint() -> None:
    # "pedido" is Spanish and Portuguese: the page locale decides
    assert detect("pedido", hint="es-ES").language == "es"
    assert detect("pedido", hint="pt-BR").language == "pt"


@pytest.mark.parametrize(
    "text,lang",
    [
        ("Where is my parcel? I ordered it two weeks ago.", "en"),
        ("¿Dónde está mi pedido? Lo compré hace dos semanas.", "es"),
        ("Où est mon colis ? Je l'ai commandé il y a deux semaines.", "fr"),
        ("Wo ist mein Paket? Ich habe vor zwei Wochen bestellt.", "de"),
        ("Dov'è il mio pacco? L'ho ordinato due settimane fa.", "it"),
        ("Cadê meu pedido? Comprei faz duas semanas.", "pt"),
        ("أين طلبي؟ طلبته قبل أسبوعين.", "ar"),
        ("注文した荷物がまだ届きません。", "ja"),
        ("Đơn hàng của tôi đâu rồi, tôi đặt hai tuần trước.", "vi"),
        ("พัสดุของฉันอยู่ที่ไหนคะ สั่งไปสองอาทิตย์แล้ว", "th"),
    ],
)
def test_sentences_in_all_native_languages(text: str, lang: str) -> None:
    found = detect(text)
    assert found.language == lang
    assert found.reliable, found


@pytest.mark.parametrize(
    "text,lang",
    [
        ("Gdzie jest moja paczka?", "pl"),
        ("Dzień dobry, mam pytanie o zwrot", "pl"),
        ("Siparişim nerede, iki hafta oldu.", "tr"),
        ("Waar is mijn pakket, ik wacht al twee weken.", "nl"),
        ("Geaca este prea mică, o pot schimba?", "ro"),  # ă is Romanian too, not only Vietnamese
    ],
)
def test_languages_served_through_translation_stay_theirs(text: str, lang: str) -> None:
    found = detect(text)
    assert found.language == lang
    assert found.reliable
    assert not language.is_native(lang)


def test_a_foreign_name_in_an_english_sentence_stays_english() -> None:
    assert detect("my name is Małgorzata, where is my order").language == "en"


def test_short_messages_never_flip_the_language() -> None:
    for text in ("ok", "XB-204518", "anna.k@example.com", "thx", "merci", "danke", "12345"):
        assert choose("de", detect(text)) == "de", text
    assert choose("es", detect("ok")) == "es"


def test_a_real_switch_does() -> None:
    assert choose("de", detect("¿Y cuánto tarda normalmente en llegar?")) == "es"
    assert choose("en", detect("Tôi chưa nhận được hàng")) == "vi"


def test_first_message_sets_the_language_from_one_word() -> None:
    assert choose(None, detect("hola")) == "es"
    assert choose(None, detect("返品")) == "ja"
    assert choose(None, detect("obrigado"), hint="es-ES") == "pt"
    # no language in the text: the page locale, then English
    assert choose(None, detect("ok"), hint="fr-FR") == "fr"
    assert choose(None, detect("XB-204518")) == "en"
    # one word of a language we serve through translation does not switch to it
    assert choose(None, Detection("pl", 0.9, False, "ngram"), hint="de-DE") == "de"
    assert choose(None, Detection("pl", 0.9, False, "ngram")) == "en"


def test_mixed_script_message() -> None:
    assert detect("cancel order ค่ะ ด่วน").language == "th"
    assert detect("my order 注文番号 XB-204518").language == "ja"
    assert detect("返品したい, order XB-204518").language == "ja"  # kana decides
    assert detect("メアドはnatsu@mail.example.comです").language == "ja"


@pytest.mark.parametrize("text", ["😀", "👍👍", "🙏 🙏 🙏", "😡!!!", "❤️", "?", "..."])
def test_emoji_and_punctuation_only(text: str) -> None:
    found = detect(text)
    assert found.language is None
    assert not found.reliable
    assert choose("it", found) == "it"
    assert choose(None, found, hint="pt-BR") == "pt"
    assert choose(None, found) == "en"


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_text(text: str) -> None:
    found = detect(text)
    assert found == Detection(None, 0.0, False, "none")
    assert choose("fr", found) == "fr"


def test_public_api() -> None:
    assert language.NATIVE == ("en", "es", "fr", "de", "it", "pt", "ar", "ja", "vi", "th")
    assert all(language.is_native(lang) for lang in language.NATIVE)
    assert not language.is_native("pl")
    table = language.learned_words()
    assert table["hola"].get("es", 0.0) > 0.5
