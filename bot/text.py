"""Script-aware text helpers: width folding and the tokenization both Rasa and spaCy use."""

from __future__ import annotations

import unicodedata

import regex

from shop.dates import ASCII_DIGITS

# Full-width ASCII (ＸＢ－２０４５１８) to ASCII, one character for one so offsets stay valid.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


def fold_width(text: str) -> str:
    return text.translate(_FULLWIDTH)


def fold_digits(text: str) -> str:
    """Full width and Arabic, Persian and Thai digits (٢٩٠٤١٣) to ASCII, one for one: an order
    number or a size is the same whichever digits it was typed in (for entities; the
    classifier reads the text as typed)."""
    return text.translate(_FULLWIDTH).translate(ASCII_DIGITS)


# A token is one of: a run of Han characters, of hiragana, of katakana, of Thai, or a word of
# other letters/digits that may carry inner . @ + - _ ' (emails, order numbers, it's).
_OTHER = r"[[\p{L}\p{N}\p{M}]--[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}ー]]"
TOKEN_RE = regex.compile(
    r"(?V1)\p{Han}+"
    r"|[\p{Hiragana}ー]+"
    r"|[\p{Katakana}ー]+"
    r"|[\p{Thai}]+"
    rf"|{_OTHER}(?:{_OTHER}|[.@+\-_'’](?={_OTHER}))*"
    r"|[^\s\p{L}\p{N}\p{M}]",
)


def spans(text: str) -> list[tuple[str, int, int]]:
    """Tokens with their character offsets, punctuation and emoji as their own tokens."""
    folded = fold_width(text)
    return [(m.group(), m.start(), m.end()) for m in TOKEN_RE.finditer(folded)]


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """Like spans() without punctuation/emoji tokens (what the intent model sees)."""
    return [s for s in spans(text) if regex.match(r"[\p{L}\p{N}]", s[0])]


# Letters of our ten languages that only Vietnamese writes (ă too: Romanian is not native).
VI_LETTERS = regex.compile(r"[ăđơưĩũạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", regex.I)
_COMBINING = regex.compile(r"\p{M}+")


def fold_diacritics(text: str) -> str:
    """Vietnamese as shoppers often type it: tone marks and hats gone, đ -> d
    ("đơn hàng của tôi đâu" -> "don hang cua toi dau"). Only for Vietnamese text: it would
    merge French or Spanish words that accents tell apart."""
    bare = _COMBINING.sub("", unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFC", bare.replace("đ", "d").replace("Đ", "D"))
