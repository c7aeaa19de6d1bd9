"""Coverage matrix: training examples per intent and language, minimums, latest F1."""

from __future__ import annotations

from typing import Any

from bot.language import NATIVE
from bot.nlucheck import MIN_TRAIN, MIN_TRAIN_DEFAULT
from handoff.trainer.domain import domain_intents
from handoff.trainer.example_index import ExampleIndex


def minimum(lang: str) -> int:
    return MIN_TRAIN.get(lang, MIN_TRAIN_DEFAULT)


def matrix(index: ExampleIndex, evaluation: dict[str, Any] | None) -> dict[str, Any]:
    """`evaluation`: {"model": name, "languages": {lang: eval_nlu report}} or None."""
    counts = index.counts()
    reports = (evaluation or {}).get("languages", {})
    intents = domain_intents()
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    for intent in intents:
        row = cells.setdefault(intent, {})
        for lang in NATIVE:
            n = counts.get(lang, {}).get(intent, 0)
            f1 = (reports.get(lang) or {}).get("intent_f1", {}).get(intent)
            row[lang] = {"examples": n, "below_minimum": n < minimum(lang), "f1": f1}
    unknown = sorted({i for per in counts.values() for i in per} - set(intents))
    return {
        "intents": intents,
        "languages": list(NATIVE),
        "minimum": {lang: minimum(lang) for lang in NATIVE},
        "cells": cells,
        "totals": {lang: sum(counts.get(lang, {}).values()) for lang in NATIVE},
        "macro_f1": {lang: (reports.get(lang) or {}).get("macro_f1") for lang in NATIVE},
        "evaluated_model": (evaluation or {}).get("model"),
        "unknown_intents": unknown,
    }
