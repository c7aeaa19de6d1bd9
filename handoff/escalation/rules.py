"""Trigger rules per reason and language: phrases for legal / fraud / dispute / platform /
human, benign look-alikes, same-clause negation, and the folding that makes them match.

Phrases live in handoff/escalation/rules/<lang>.yml (trainers edit them).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import regex
import yaml

RULES_DIR = Path(__file__).with_name("rules")
TRIGGER_CODES = ("legal", "fraud", "dispute", "platform", "human")
UNSPACED = {"ja", "th", "zh"}
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي"})
_TASHKEEL = regex.compile(r"[\u064B-\u0652\u0640]")
_WORD = regex.compile(r"[\p{L}\p{N}']+")


def fold(text: str) -> str:
    """Lower case, accents removed, Arabic letter variants unified: what rules match on."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_ARABIC_FOLD)
    text = _TASHKEEL.sub("", text)
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(
        c
        for c in decomposed
        if not (unicodedata.category(c) == "Mn" and _latin_mark(c, decomposed))
    )
    return unicodedata.normalize("NFC", kept)


def _latin_mark(mark: str, text: str) -> bool:
    # strip combining accents (é -> e) but keep Thai/Japanese/Vietnamese-free marks we need:
    # Thai vowels and tone marks are category Mn too and must stay.
    return not ("\u0e00" <= mark <= "\u0e7f" or "\u3099" <= mark <= "\u309a")


@dataclass(frozen=True)
class LanguageRules:
    lang: str
    triggers: dict[str, regex.Pattern[str]]
    negations: frozenset[str]
    benign: regex.Pattern[str] | None
    negative: dict[str, float]
    positive: dict[str, float]
    intensifiers: frozenset[str]
    anger: frozenset[str]


def _phrase_regex(phrases: list[str], unspaced: bool) -> regex.Pattern[str] | None:
    parts = []
    for phrase in sorted(
        {fold(str(p)).strip() for p in phrases if str(p).strip()}, key=len, reverse=True
    ):
        pieces = [regex.escape(x.strip()) for x in phrase.split("*")]
        gap = r".{0,20}?" if unspaced else r"(?:\s+\S+){0,3}?\s+"
        body = gap.join(p for p in pieces if p)
        parts.append(body if unspaced else rf"(?<![\p{{L}}\p{{N}}]){body}(?![\p{{L}}\p{{N}}])")
    return regex.compile("|".join(parts)) if parts else None


@cache
def rules_for(lang: str) -> LanguageRules | None:
    path = RULES_DIR / f"{lang}.yml"
    if not path.exists():
        return None
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unspaced = lang in UNSPACED
    triggers = {
        code: rx
        for code in TRIGGER_CODES
        if (rx := _phrase_regex(doc.get("triggers", {}).get(code) or [], unspaced))
    }
    senti = doc.get("sentiment", {}) or {}
    return LanguageRules(
        lang=lang,
        triggers=triggers,
        negations=frozenset(fold(str(w)) for w in doc.get("negations") or []),
        benign=_phrase_regex(doc.get("benign") or [], unspaced),
        negative={fold(str(k)): float(v) for k, v in (senti.get("negative") or {}).items()},
        positive={fold(str(k)): float(v) for k, v in (senti.get("positive") or {}).items()},
        intensifiers=frozenset(fold(str(w)) for w in senti.get("intensifiers") or []),
        anger=frozenset(fold(str(w)) for w in senti.get("anger_marks") or []),
    )


def _negated(text: str, start: int, negations: frozenset[str], unspaced: bool) -> bool:
    if unspaced:
        window = text[max(0, start - 6) : start]
        return any(n in window for n in negations)
    # only the same clause counts: in "never arrived, total scam" the scam is not denied
    clause = regex.split(r"[,.;:!?¿¡،؟。、\n]", text[:start])[-1]
    before = _WORD.findall(clause)[-3:]
    return any(w in negations for w in before)


def find_triggers(folded: str, rules: list[LanguageRules]) -> dict[str, str]:
    found: dict[str, str] = {}
    for r in rules:
        unspaced = r.lang in UNSPACED
        benign_spans = [m.span() for m in r.benign.finditer(folded)] if r.benign else []
        for code, rx in r.triggers.items():
            if code in found:
                continue
            for m in rx.finditer(folded):
                if any(s <= m.start() and m.end() <= e for s, e in benign_spans):
                    continue
                if _negated(folded, m.start(), r.negations, unspaced):
                    continue
                found[code] = m.group().strip()
                break
    return found
