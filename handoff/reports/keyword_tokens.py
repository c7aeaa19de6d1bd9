"""Complaint keywords, tokenising: a shopper message as content words, per language, offline.

Whitespace languages are NFKC-normalised, lowercased and split on letters (English
contractions opened, French/Italian elisions split, French -ée/-és folded to -é, hyphenated
words whole); Arabic loses diacritics and tatweel, alef/yeh/teh marbuta variants fold, and
the article is stripped; Japanese and Thai, written without spaces, are segmented by longest
match against a small shipped lexicon (`keyword_lexicon.yml`) plus the language's stopwords,
Japanese kanji/katakana runs outside it being words of their own. Stopwords
(`keyword_stopwords.yml`) never count. Numbers, links and addresses are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
LANGS = ("en", "es", "fr", "de", "it", "pt", "ar", "ja", "vi", "th")
UNSPACED = frozenset({"ja", "th"})
MIN_LEN = 2  # shorter tokens are noise (elided articles, stray letters)

ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                             "ؤ": "و", "ئ": "ي"})  # fmt: skip
ARABIC_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")
NOISE = re.compile(r"https?://\S+|\S+@\S+|\S*\d\S*")  # links, addresses, order numbers, sizes
# without spaces a "chunk" can be a whole sentence: only the numbers themselves go
NOISE_UNSPACED = re.compile(r"https?://\S+|\S+@\S+|[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*|\d+")
BREAKS = re.compile(r"[.,;:!?¿¡()\[\]{}\"“”„«»…/\\|\n\r\t•·،؛؟。、！？「」『』（）]+|\s[-–—]\s")
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")  # hyphenated words stay whole
EN_CONTRACTIONS = (
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'(s|m|re|ve|ll|d)\b"), ""),
)
FR_FOLD = re.compile(r"é(?:e|es|s)$")


def base_lang(lang: str | None) -> str:
    """`pt-BR` -> `pt`; empty -> `en`."""
    return (re.split(r"[-_]", (lang or "").strip().lower())[0] or "en")[:16]


def normalise_arabic(text: str) -> str:
    return ARABIC_MARKS.sub("", text).translate(ARABIC_FOLD)


def _word(token: str, lang: str) -> str:
    token = token.lower()
    if lang == "fr" and len(token) > 4:
        token = FR_FOLD.sub("é", token)
    elif lang == "ar":
        for article in ARABIC_ARTICLES:
            if token.startswith(article) and len(token) - len(article) >= 3:
                token = token[len(article) :]
                break
    return token


@lru_cache(maxsize=1)
def _stopword_file() -> dict[str, list[str]]:
    with (HERE / "keyword_stopwords.yml").open(encoding="utf-8") as fh:
        return {str(k): [str(w) for w in v or []] for k, v in (yaml.safe_load(fh) or {}).items()}


@lru_cache(maxsize=1)
def _lexicon_file() -> dict[str, dict[str, str]]:
    with (HERE / "keyword_lexicon.yml").open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    return {
        str(lang): {
            unicodedata.normalize("NFKC", str(s)): str(t if t else s) for s, t in words.items()
        }
        for lang, words in raw.items()
    }


@lru_cache(maxsize=32)
def stopwords(lang: str) -> frozenset[str]:
    """The language's stopwords, normalised as message words are."""
    out: set[str] = set()
    for word in _stopword_file().get(lang, []):
        word = unicodedata.normalize("NFKC", word)
        if lang in UNSPACED:
            out.add(word)
        else:
            out.update(_word(w, lang) for w in WORD.findall(_prepare(word, lang)))
    return frozenset(out)


@lru_cache(maxsize=4)
def _dictionary(lang: str) -> tuple[dict[str, str], int]:
    """Segmentation words (surface -> keyword) of an unspaced language, and the longest."""
    words = {w: w for w in _stopword_file().get(lang, [])}
    words.update(_lexicon_file().get(lang, {}))
    return words, max((len(w) for w in words), default=1)


def _prepare(text: str, lang: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("ʼ", "'")
    if lang == "ar":
        text = normalise_arabic(text)
    if lang == "en":
        text = text.lower()
        for pattern, repl in EN_CONTRACTIONS:
            text = pattern.sub(repl, text)
    return text.replace("'", " ")


def _script(ch: str) -> str:
    o = ord(ch)
    if 0x3040 <= o <= 0x309F:
        return "hira"
    if 0x30A0 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF:
        return "kata"
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or ch == "々":
        return "kanji"
    if 0x0E00 <= o <= 0x0E7F:
        return "thai"
    if ch.isalpha():
        return "latin"
    return "sep"


def _segment_unspaced(text: str, lang: str) -> list[list[str]]:
    """Longest-match segmentation (lexicon + stopwords); unknown Japanese kanji/katakana
    runs and unknown Thai stretches become words, hiragana outside the lexicon does not."""
    words, longest = _dictionary(lang)
    segments: list[list[str]] = []
    current: list[str] = []
    unknown: list[str] = []

    def flush_unknown() -> None:
        if len(unknown) >= MIN_LEN:
            current.append("".join(unknown).lower())
        unknown.clear()

    def match_at(i: int) -> str | None:
        for size in range(min(longest, len(text) - i), 0, -1):
            if text[i : i + size] in words:
                return text[i : i + size]
        return None

    i = 0
    while i < len(text):
        script = _script(text[i])
        if script == "sep" or text[i].isspace():
            flush_unknown()
            if current:
                segments.append(current)
                current = []
            i += 1
            continue
        found = match_at(i)
        if found is not None:
            flush_unknown()
            current.append(words[found])
            i += len(found)
            continue
        if script == "thai":
            unknown.append(text[i])
            i += 1
            continue
        flush_unknown()
        j = i + 1
        while j < len(text) and _script(text[j]) == script and match_at(j) is None:
            j += 1
        if script != "hira" and j - i >= MIN_LEN:
            current.append(text[i:j].lower())
        i = j
    flush_unknown()
    if current:
        segments.append(current)
    return segments


def tokenize(text: str, lang: str) -> list[list[str]]:
    """The content words of a message, per clause (punctuation ends a clause), stopwords
    removed: `[["lampe", "arrivé", "cassé"], ...]`."""
    lang = base_lang(lang)
    noise = NOISE_UNSPACED if lang in UNSPACED else NOISE
    text = noise.sub(" ", unicodedata.normalize("NFKC", text or ""))
    stop = stopwords(lang)
    out: list[list[str]] = []
    for clause in BREAKS.split(text):
        if lang in UNSPACED:
            parts = _segment_unspaced(clause, lang)
        else:
            parts = [[_word(w, lang) for w in WORD.findall(_prepare(clause, lang))]]
        for words in parts:
            # unspaced: the segmenter already kept only lexicon words and longer runs
            short_ok = lang in UNSPACED
            kept = [w for w in words if (short_ok or len(w) >= MIN_LEN) and w not in stop]
            if kept:
                out.append(kept)
    return out


def terms(text: str, lang: str) -> set[str]:
    """Unigrams and bigrams (adjacent content words of one clause, joined by a space)."""
    found: set[str] = set()
    for clause in tokenize(text, lang):
        found.update(clause)
        found.update(f"{a} {b}" for a, b in zip(clause, clause[1:], strict=False) if a != b)
    return {t for t in found if len(t) <= 200}
