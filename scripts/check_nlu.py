"""Check NLU data for one or all languages: intents, counts, overlaps with held-out sets.

Usage: python scripts/check_nlu.py [lang ...]   (default: every folder under data/nlu)
Exit code 1 when a rule is broken; the report says which.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
INTENTS = [
    "greet", "goodbye", "thank", "affirm", "deny", "inform", "track_order", "delivery_time",
    "size_help", "return_request", "refund_status", "damaged_item", "wrong_item",
    "not_as_described", "cancel_order", "change_address", "customs_duties", "payment_issue",
    "product_usage", "human_handoff", "complain", "bot_challenge", "out_of_scope",
]
ENTITIES = {"order_id", "email", "tracking_number", "size", "product", "country"}
MIN_TRAIN = {"en": 25}
MIN_TRAIN_DEFAULT = 20
MIN_HELDOUT = 8
ANNOTATION = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def plain(example: str) -> str:
    return ANNOTATION.sub(lambda m: m.group(1), example).strip().lower()


def read_examples(path: Path) -> dict[str, list[str]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, list[str]] = defaultdict(list)
    for block in doc.get("nlu", []) or []:
        if "intent" not in block:
            continue
        for line in (block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                out[block["intent"]].append(line[2:].strip())
    return out


def check_language(lang: str, root: Path = ROOT) -> list[str]:
    """Problems of one language's training data under `root`/data/nlu (held-out sets are
    always this repository's)."""
    problems: list[str] = []
    train: dict[str, list[str]] = defaultdict(list)
    for path in sorted((root / "data" / "nlu" / lang).glob("*.yml")):
        for intent, examples in read_examples(path).items():
            train[intent].extend(examples)
    heldout_path = ROOT / "tests" / "nlu" / f"{lang}.yml"
    heldout = read_examples(heldout_path) if heldout_path.exists() else {}
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
            for _, entity in ANNOTATION.findall(ex):
                if entity.split("{")[0] not in ENTITIES:
                    problems.append(f"{lang}: unknown entity {entity!r} in {ex!r}")
    dupes = [ex for ex, n in Counter(plain(e) for v in train.values() for e in v).items() if n > 1]
    for ex in dupes:
        problems.append(f"{lang}: duplicate training example {ex!r}")
    for intent, examples in heldout.items():
        for ex in examples:
            if plain(ex) in seen:
                problems.append(f"{lang}: held-out example also in training: {ex!r}")
    total = sum(len(v) for v in train.values())
    print(f"{lang}: {total} training examples, {sum(len(v) for v in heldout.values())} held-out")
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
                    problems.append(f"{key!r} is {owner[key][1]} in {owner[key][0]} "
                                    f"but {intent} in {lang}")
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
