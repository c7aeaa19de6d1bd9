"""Evaluate a trained model on the held-out sets (tests/nlu/<lang>.yml, same authors as the
training data) and the blind sets (tests/blind/<lang>.yml, independent authors who never saw
it); neither is ever trained on.

    python scripts/eval_nlu.py [--model models/x.tar.gz] [--out results/nlu_eval.json] [lang ...]

Prints intent accuracy and macro-F1 per language and set, the off-topic false-accept rate
(off-topic messages answered with a core after-sales intent) and the top confusions. Blind
messages that also occur word for word in our data are left out of the blind score.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.nludata import (  # noqa: E402
    blind_examples,
    heldout_examples,
    key_of,
    plain,
    training_examples,
)

# answering an off-topic question with one of these gives the shopper a wrong after-sales reply
CORE_INTENTS = {
    "track_order", "delivery_time", "size_help", "return_request", "refund_status",
    "damaged_item", "wrong_item", "not_as_described", "cancel_order", "change_address",
    "customs_duties", "payment_issue", "product_usage", "human_handoff", "complain",
}  # fmt: skip


def latest_model(models_dir: Path = ROOT / "models") -> Path:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit(f"no model in {models_dir}: run `make model` first")
    return models[-1]


def f1_per_intent(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """F1 of every gold intent (predictions outside the gold set count as errors)."""
    scores = {}
    for label in sorted({g for g, _ in pairs}):
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        scores[label] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return scores


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    scores = f1_per_intent(pairs)
    return sum(scores.values()) / len(scores) if scores else 0.0


async def evaluate(model: Path, langs: list[str]) -> dict:
    import logging

    from rasa.core.agent import Agent

    for name in ("rasa", "tensorflow", "absl", "bot"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    agent = Agent.load(str(model))
    report: dict = {"model": model.name, "languages": {}, "blind": {}}
    for lang in langs:
        report["languages"][lang] = await score_set(agent, heldout_examples(lang))
        blind = blind_examples(lang)
        if blind:
            ours = {key_of(e) for v in training_examples(lang).values() for e in v}
            ours |= {key_of(e) for v in heldout_examples(lang).values() for e in v}
            unseen = {g: [t for t in ts if key_of(t) not in ours] for g, ts in blind.items()}
            result = await score_set(agent, unseen)
            result["left_out_as_seen"] = sum(len(v) for v in blind.values()) - result["examples"]
            report["blind"][lang] = result
    return report


async def score_set(agent: Any, examples: dict[str, list[str]]) -> dict[str, Any]:
    pairs: list[tuple[str, str]] = []
    raw_pairs: list[tuple[str, str]] = []  # the classifier's top intent, before fallback
    started = time.perf_counter()
    for gold, texts in examples.items():
        for text in texts:
            parsed = await agent.parse_message(plain(text))
            pairs.append((gold, parsed["intent"]["name"]))
            ranking = [
                r["name"] for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"
            ]
            raw_pairs.append((gold, ranking[0] if ranking else "nlu_fallback"))
    elapsed = time.perf_counter() - started
    n = max(1, len(pairs))
    confused = Counter((g, p) for g, p in pairs if g != p)
    off_topic = [p for g, p in pairs if g == "out_of_scope"]
    return {
        "examples": len(pairs),
        "accuracy": round(sum(g == p for g, p in pairs) / n, 4),
        "macro_f1": round(macro_f1(pairs), 4),
        "classifier_accuracy": round(sum(g == p for g, p in raw_pairs) / n, 4),
        "classifier_macro_f1": round(macro_f1(raw_pairs), 4),
        "fallback_rate": round(sum(p == "nlu_fallback" for _, p in pairs) / n, 4),
        "off_topic": len(off_topic),
        "off_topic_core_rate": round(
            sum(p in CORE_INTENTS for p in off_topic) / max(1, len(off_topic)), 4
        ),
        "ms_per_message": round(elapsed / n * 1000, 2),
        "confused": [f"{g} -> {p} ({c})" for (g, p), c in confused.most_common(5)],
        "intent_f1": {k: round(v, 4) for k, v in f1_per_intent(pairs).items()},
        "confused_pairs": [
            {"gold": g, "predicted": p, "count": c} for (g, p), c in confused.most_common(15)
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("langs", nargs="*")
    args = parser.parse_args()
    langs = args.langs or sorted(p.stem for p in (ROOT / "tests" / "nlu").glob("*.yml"))
    report = asyncio.run(evaluate(args.model or latest_model(), langs))
    for kind in ("languages", "blind"):
        for lang, r in report[kind].items():
            print(
                f"{lang} {'held-out' if kind == 'languages' else 'blind   '}: "
                f"accuracy {r['accuracy']:.3f}  macro-F1 {r['macro_f1']:.3f}  "
                f"fallback {r['fallback_rate']:.2f}  off-topic→core {r['off_topic_core_rate']:.2f}"
                f"  ({r['examples']} msgs, {r['ms_per_message']} ms/msg)  "
                f"top confusions: {', '.join(r['confused'][:3]) or '-'}"
            )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
