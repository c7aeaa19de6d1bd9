"""Rule-based entity extraction on a blank spaCy pipeline built here (no model download).

Order ids, tracking numbers, emails, sizes, countries and products are found by an
EntityRuler over our script-aware tokens; the same function serves Rasa and the gateway.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import regex
import yaml

from bot.text import fold_digits, spans

PATTERN_DIR = Path(__file__).with_name("patterns")
ORDER_RE = r"^(?i:xb-?\d{6}|\d{6})$"
TRACKING_RE = r"^(?:NP\d{9}CN|SBX\d{10}|TL\d{12})$"
SIZE_WORDS = [
    "size",
    "sized",
    "sizes",
    "wear",
    "usually",
    "talla",
    "talle",
    "taille",
    "größe",
    "groesse",
    "grösse",
    "gr",
    "taglia",
    "tamanho",
    "tam",
    "uso",
    "llevo",
    "porto",
    "trage",
    "mặc",
    "cỡ",
    "size",
    "サイズ",
    "ไซซ์",
    "ไซส์",
    "مقاس",
    "مقاسي",
    "حجم",
]
LETTER_SIZES = ["XS", "S", "M", "L", "XL", "XXL", "2XL", "3XL", "XXXL", "P", "G", "GG"]
PRODUCT_WORDS = [
    "dress",
    "hoodie",
    "cardigan",
    "chinos",
    "jeans",
    "jacket",
    "sweater",
    "skirt",
    "tee",
    "t-shirt",
    "leggings",
    "shell",
    "shirt",
    "joggers",
    "pajamas",
    "pyjamas",
    "swim shorts",
    "sneakers",
    "trainers",
    "boots",
    "sandals",
    "loafers",
    "heels",
    "slippers",
    "shoes",
    "earbuds",
    "speaker",
    "fitness band",
    "charger",
    "power bank",
    "ring light",
    "keyboard",
    "smart plug",
    "dash cam",
    "headphones",
    "pillow",
    "lamp",
    "duvet cover",
    "bottle",
    "diffuser",
    "phone case",
    "bag",
    "sunglasses",
    "scrunchies",
]
# Thai and unspaced Japanese need substring matching for multi-character names.
_UNSPACED = regex.compile(r"[\p{Thai}\p{Han}\p{Hiragana}\p{Katakana}]")


def _patterns() -> list[dict[str, Any]]:
    countries = yaml.safe_load((PATTERN_DIR / "countries.yml").read_text(encoding="utf-8"))
    pats: list[dict[str, Any]] = [
        {"label": "email", "pattern": [{"LIKE_EMAIL": True}]},
        {"label": "order_id", "pattern": [{"TEXT": {"REGEX": ORDER_RE}}]},
        {"label": "tracking_number", "pattern": [{"TEXT": {"REGEX": TRACKING_RE}}]},
        {
            "label": "size",
            "pattern": [
                {"LOWER": {"IN": ["eu", "us", "uk", "fr", "it"]}},
                {"TEXT": {"REGEX": r"^\d{1,2}(?:[.,]5)?$"}},
            ],
        },
        {"label": "size", "pattern": [{"TEXT": {"REGEX": r"^\d{2}(?:[.,]5)?$"}}, {"LOWER": "cm"}]},
        {"label": "size", "pattern": [{"TEXT": {"IN": ["XS", "XL", "XXL", "2XL", "3XL", "XXXL"]}}]},
        {
            "label": "size",
            "id": "after_word",
            "pattern": [{"LOWER": {"IN": SIZE_WORDS}}, {"TEXT": {"IN": LETTER_SIZES}}],
        },
        {
            "label": "size",
            "id": "after_word",
            "pattern": [{"LOWER": {"IN": SIZE_WORDS}}, {"TEXT": {"REGEX": r"^(?:3[4-9]|4[0-8])$"}}],
        },
    ]
    for code, names in countries.items():
        for name in names:
            words = [w for w, _, _ in spans(str(name)) if w not in {"."}]
            pats.append(
                {"label": "country", "id": code, "pattern": [{"LOWER": w.lower()} for w in words]}
            )
    for word in PRODUCT_WORDS:
        pats.append({"label": "product", "pattern": [{"LOWER": w} for w in word.split()]})
    return pats


@lru_cache(maxsize=1)
def _nlp() -> Any:
    import spacy
    from spacy.pipeline import EntityRuler
    from spacy.tokens import Doc

    nlp = spacy.blank("xx")

    def tokenize(text: str) -> Doc:
        toks = spans(text)
        words = [t for t, _, _ in toks] or [text]
        space_after = [
            (toks[i][2] < len(text) and text[toks[i][2]].isspace()) for i in range(len(toks))
        ] or [False]
        return Doc(nlp.vocab, words=words, spaces=space_after)

    nlp.tokenizer = tokenize
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    assert isinstance(ruler, EntityRuler)
    ruler.add_patterns(_patterns())
    return nlp


@lru_cache(maxsize=1)
def _unspaced_countries() -> list[tuple[str, str]]:
    countries = yaml.safe_load((PATTERN_DIR / "countries.yml").read_text(encoding="utf-8"))
    return sorted(
        ((str(n), c) for c, names in countries.items() for n in names if _UNSPACED.search(str(n))),
        key=lambda x: -len(x[0]),
    )


def _offsets(text: str) -> list[int]:
    """Char offset in `text` of every spaCy token (spaCy's own idx counts our spaces)."""
    return [s for _, s, _ in spans(text)]


def extract(text: str) -> list[dict[str, Any]]:
    """Entities as Rasa expects them: entity, value, start, end (offsets into `text`)."""
    if not text or not text.strip():
        return []
    folded = fold_digits(text)
    doc = _nlp()(folded)
    toks = spans(folded)
    out: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []
    for ent in doc.ents:
        first, last = ent.start, ent.end - 1
        if ent.label_ == "size" and ent.ent_id_ == "after_word":
            first = last  # keep only the size, not the word before it
        start, end = toks[first][1], toks[last][2]
        value: str = folded[start:end]
        if ent.label_ == "country":
            value = ent.ent_id_
        elif ent.label_ == "order_id":
            digits = regex.sub(r"\D", "", value)
            value = f"XB-{digits}"
        elif ent.label_ == "email":
            value = value.lower()
        out.append({"entity": ent.label_, "value": value, "start": start, "end": end})
        taken.append((start, end))
    for name, code in _unspaced_countries():
        for m in regex.finditer(regex.escape(name), folded):
            if not any(s < m.end() and m.start() < e for s, e in taken):
                out.append({"entity": "country", "value": code, "start": m.start(), "end": m.end()})
                taken.append((m.start(), m.end()))
    return sorted(out, key=lambda e: e["start"])
