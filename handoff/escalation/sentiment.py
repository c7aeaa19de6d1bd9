"""Offline sentiment per language (lexicons in the rules files) plus anger signals:
shouting, repeated punctuation, the same message sent again."""

from __future__ import annotations

import math

import regex

from handoff.escalation.config import config
from handoff.escalation.rules import _WORD, UNSPACED, LanguageRules, fold


def sentiment_of(
    original: str, folded: str, rules: list[LanguageRules], previous: tuple[str, ...]
) -> tuple[float, list[str]]:
    """Sentiment in [-1, 1] from the lexicons plus anger marks (caps, !!!, repeats)."""
    cfg = config()["sentiment"]
    negative = positive = 0.0
    anger: list[str] = []
    words = _WORD.findall(folded)
    for r in rules:
        unspaced = r.lang in UNSPACED
        if unspaced:
            negative += sum(w for k, w in r.negative.items() if k and k in folded)
            positive += sum(w for k, w in r.positive.items() if k and k in folded)
            if any(a and a in folded for a in r.anger):
                anger.append("insult")
            continue
        boost = 1.0
        for i, word in enumerate(words):
            two = f"{word} {words[i + 1]}" if i + 1 < len(words) else ""
            weight_n = r.negative.get(two) or r.negative.get(word)
            weight_p = r.positive.get(two) or r.positive.get(word)
            if weight_n:
                negated = i > 0 and words[i - 1] in r.negations
                if negated:
                    positive += weight_n * 0.5  # "not bad"
                else:
                    negative += weight_n * boost
            if weight_p:
                if i > 0 and words[i - 1] in r.negations:
                    negative += weight_p  # "not happy"
                else:
                    positive += weight_p * boost
            if word in r.anger and "insult" not in anger:
                anger.append("insult")
            boost = 1.5 if word in r.intensifiers else 1.0
    letters = [c for c in original if c.isalpha() and c.isascii()]
    if (
        len(letters) >= cfg["caps_min_letters"]
        and sum(c.isupper() for c in letters) / len(letters) >= cfg["caps_ratio"]
    ):
        anger.append("shouting")
    if regex.search(r"[!！]{3,}|[?？]{3,}|[!?]{4,}", original):
        anger.append("repeated punctuation")
    if (
        previous
        and sum(fold(p) == folded for p in previous[-4:])
        >= config()["repeat_contact"]["same_message_repeats"] - 1
    ):
        anger.append("same message again")
    negative += 1.5 * len(anger)
    return math.tanh((positive - negative) / 3.0), anger
