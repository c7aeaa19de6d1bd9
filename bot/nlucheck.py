"""The NLU data rules `make test` and the trainer console enforce: known intents and
entities, minimum counts, no example under two intents, held-out and blind sets kept out of
training. CLI: `python scripts/check_nlu.py [lang ...]`."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from bot.nludata import (
    ANNOTATION,
    BLIND_DIR,
    ROOT,
    blind_examples,
    entity_names,
    heldout_examples,
    intents,
    key_of,
    read_examples,
)

INTENTS = intents()  # the contract's names, from domain.yml
ENTITIES = set(entity_names())
MIN_TRAIN = {"en": 25}
MIN_TRAIN_DEFAULT = 20
MIN_HELDOUT = 8
MIN_BLIND = 300
MIN_BLIND_OFF_TOPIC = 0.20
MAX_BLIND_OVERLAP = 0.20


def plain(example: str) -> str:
    return key_of(example)


def entities_of(example: str) -> list[str]:
    out = []
    for m in ANNOTATION.finditer(example):
        if m.group(2) is not None:
            out.append(m.group(2).split(":")[0])
        else:
            try:
                out.append(str(json.loads(m.group(3)).get("entity")))
            except (json.JSONDecodeError, AttributeError):
                out.append(m.group(3))
    return out


def check_language(lang: str, root: Path = ROOT) -> list[str]:
    """Problems of one language's training data under `root`/data/nlu (held-out sets are
    always this repository's)."""
    problems: list[str] = []
    train: dict[str, list[str]] = defaultdict(list)
    for path in sorted((root / "data" / "nlu" / lang).glob("*.yml")):
        for intent, examples in read_examples(path).items():
            train[intent].extend(examples)
    heldout = heldout_examples(lang)
    blind = blind_examples(lang)
    minimum = MIN_TRAIN.get(lang, MIN_TRAIN_DEFAULT)
    seen: dict[str, str] = {}
    for intent in sorted(set(train) | set(heldout)):
        if intent not in INTENTS:
            problems.append(f"{lang}: unknown intent {intent!r}")
    for intent in INTENTS:
        n_train, n_test = len(train.get(intent, [])), len(heldout.get(intent, []))
        if n_train < minimum:
            problems.append(f"{lang}: {intent} has {n_train} training examples (< {minimum})")
        if n_test < MIN_HELDOUT:
            problems.append(f"{lang}: {intent} has {n_test} held-out examples (< {MIN_HELDOUT})")
        for ex in train.get(intent, []):
            key = plain(ex)
            if key in seen and seen[key] != intent:
                problems.append(f"{lang}: {ex!r} is under {seen[key]} and {intent}")
            seen[key] = intent
            for entity in entities_of(ex):
                if entity not in ENTITIES:
                    problems.append(f"{lang}: unknown entity {entity!r} in {ex!r}")
    dupes = [ex for ex, n in Counter(plain(e) for v in train.values() for e in v).items() if n > 1]
    for ex in dupes:
        problems.append(f"{lang}: duplicate training example {ex!r}")
    for examples in heldout.values():
        for ex in examples:
            if plain(ex) in seen:
                problems.append(f"{lang}: held-out example also in training: {ex!r}")
    problems += check_blind(lang, blind, seen, {plain(e) for v in heldout.values() for e in v})
    total = sum(len(v) for v in train.values())
    print(
        f"{lang}: {total} training examples, {sum(len(v) for v in heldout.values())} held-out, "
        f"{sum(len(v) for v in blind.values())} blind"
    )
    return problems


def check_blind(
    lang: str, blind: dict[str, list[str]], train_keys: dict[str, str], heldout_keys: set[str]
) -> list[str]:
    """Blind sets (tests/blind/<lang>.yml, written by authors who never saw our data) are
    never trained on: no blind text may appear in training or held-out data."""
    problems: list[str] = []
    if not blind:
        return [f"{lang}: no blind test set {BLIND_DIR.name}/{lang}.yml"]
    total = sum(len(v) for v in blind.values())
    if total < MIN_BLIND:
        problems.append(f"{lang}: blind set has {total} messages (< {MIN_BLIND})")
    off = len(blind.get("out_of_scope", []))
    if total and off / total < MIN_BLIND_OFF_TOPIC:
        problems.append(f"{lang}: blind set has {off / total:.0%} off-topic (< 20 %)")
    overlap = 0
    for intent, examples in blind.items():
        if intent not in INTENTS:
            problems.append(f"{lang}: blind set has unknown intent {intent!r}")
        overlap += sum(1 for ex in examples if plain(ex) in train_keys or plain(ex) in heldout_keys)
    # Independent authors sometimes write the same everyday sentence ("ok", "cancel my
    # order"); the evaluation leaves those out of the blind score. Many more than that
    # means the blind set leaked into our data.
    if total and overlap / total > MAX_BLIND_OVERLAP:
        problems.append(
            f"{lang}: {overlap} of {total} blind messages are also in our data "
            f"(> {MAX_BLIND_OVERLAP:.0%}): the blind set leaked into training or held-out data"
        )
    elif overlap:
        print(f"{lang}: {overlap} blind messages also occur in our data (left out of the score)")
    return problems


def cross_language_conflicts(root: Path = ROOT) -> list[str]:
    """One model learns every language: the same text may not mean two intents anywhere."""
    owner: dict[str, tuple[str, str]] = {}
    problems = []
    for path in sorted((root / "data" / "nlu").glob("*/*.yml")):
        lang = path.parent.name
        for intent, examples in read_examples(path).items():
            for ex in examples:
                key = plain(ex)
                if key in owner and owner[key][1] != intent:
                    problems.append(
                        f"{key!r} is {owner[key][1]} in {owner[key][0]} but {intent} in {lang}"
                    )
                owner.setdefault(key, (lang, intent))
    return problems


def main(argv: list[str]) -> int:
    langs = argv or sorted(p.name for p in (ROOT / "data" / "nlu").iterdir() if p.is_dir())
    problems = [p for lang in langs for p in check_language(lang)]
    if not argv:
        problems += cross_language_conflicts()
    for p in problems:
        print("  -", p)
    return 1 if problems else 0
