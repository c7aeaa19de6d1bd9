"""Held-out accuracy from the training data alone (never reads tests/): for each target
language, repeated stratified 80/20 splits of data/nlu/<lang>; the intent classifier of
config.yml (bot.classifier, same normalisation and settings) is trained on every other
language in full plus the 80 % and scored on the 20 %.

    python scripts/split_eval_nlu.py [--root DIR] [--test-root DIR] [--repeats 3]
                                     [--probe DIR] [lang ...]

--root reads data/nlu from another checkout (e.g. an exported older commit) to compare
before/after; --test-root DIR draws the 20 % from DIR's data instead (same messages scored
before and after: `--root OLD --test-root OLD` vs `--test-root OLD`).
--probe DIR scores a model trained on ALL of --root's data on the NLU files in
DIR/<lang>/ (e.g. newly written examples checked against the old data).
Prints accuracy, macro-F1 and the top confusion pairs per language (--show N: N errors).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.classifier import build_pipeline, normalize  # noqa: E402
from bot.nludata import key_of, plain, read_many, training_examples  # noqa: E402

CONFIG = {"C": 2.0, "calibration_folds": 3, "random_seed": 42}


def pairs_of(examples: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(plain(ex), intent) for intent, exs in examples.items() for ex in exs]


def all_languages(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "data" / "nlu").iterdir() if p.is_dir())


def fit_predict(train: list[tuple[str, str]], test: list[str]) -> list[str]:
    import numpy as np

    pipeline = build_pipeline(CONFIG)
    pipeline.fit([normalize(t) for t, _ in train], np.array([i for _, i in train]))
    return [str(p) for p in pipeline.predict([normalize(t) for t in test])]


def report(lang: str, gold: list[str], pred: list[str]) -> dict[str, Any]:
    labels = sorted(set(gold))
    f1s = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    confusions = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    print(
        f"{lang}: {len(gold)} scored, accuracy {accuracy:.3f}, macro-F1 {sum(f1s) / len(f1s):.3f}"
    )
    for (g, p), n in confusions.most_common(10):
        print(f"    {n:3d}  {g} -> {p}")
    return {"accuracy": accuracy, "confusions": confusions}


def split_eval(
    root: Path, langs: list[str], repeats: int, test_root: Path | None, show: int = 0
) -> None:
    from sklearn.model_selection import StratifiedShuffleSplit

    everything = {lg: pairs_of(training_examples(lg, root)) for lg in all_languages(root)}
    for lang in langs:
        # with test_root the 20 % come from that (older) data, so before/after score the
        # same messages; the rest of `root`'s examples of the language are trained on
        data = pairs_of(training_examples(lang, test_root)) if test_root else everything[lang]
        own = everything[lang]
        others = [p for lg, ps in everything.items() if lg != lang for p in ps]
        splitter = StratifiedShuffleSplit(n_splits=repeats, test_size=0.2, random_state=7)
        gold: list[str] = []
        pred: list[str] = []
        texts: list[str] = []
        for _, test_idx in splitter.split(data, [i for _, i in data]):
            test = [data[i] for i in test_idx]
            held = {key_of(t) for t, _ in test}
            train = others + [p for p in own if key_of(p[0]) not in held]
            pred += fit_predict(train, [t for t, _ in test])
            gold += [i for _, i in test]
            texts += [t for t, _ in test]
        counts = Counter(i for _, i in data)
        print(f"{lang}: {len(data)} examples, per intent min {min(counts.values())}")
        report(lang, gold, pred)
        errors = [(g, p, t) for g, p, t in zip(gold, pred, texts, strict=True) if g != p]
        for g, p, t in sorted(errors)[:show]:
            print(f"      {g} -> {p}: {t}")


def probe(root: Path, probe_dir: Path, langs: list[str]) -> None:
    train = [p for lg in all_languages(root) for p in pairs_of(training_examples(lg, root))]
    for lang in langs:
        test = pairs_of(read_many(sorted((probe_dir / lang).glob("*.yml"))))
        if test:
            report(
                f"{lang} (probe)", [i for _, i in test], fit_predict(train, [t for t, _ in test])
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--probe", type=Path)
    parser.add_argument("--test-root", type=Path)
    parser.add_argument("--show", type=int, default=0, help="print this many misclassified")
    parser.add_argument("langs", nargs="*", default=["ar", "vi"])
    args = parser.parse_args()
    if args.probe:
        probe(args.root, args.probe, args.langs)
    else:
        split_eval(args.root, args.langs, args.repeats, args.test_root, args.show)


if __name__ == "__main__":
    main()
