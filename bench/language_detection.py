"""Language detection on chat text: our detector vs raw langdetect vs lingua, one run.

    .venv/bin/python bench/language_detection.py

Sets: the held-out shopper messages of every native language (tests/nlu/<lang>.yml) and the
1-3 word texts in bench/data/short_texts.yml (natives plus languages served by translation).
Each detector sees one message at a time with no hint and no conversation history.
Writes bench/results/language_detection.json.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import language  # noqa: E402
from scripts.check_nlu import read_examples  # noqa: E402

ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def shopper_messages() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "tests" / "nlu").glob("*.yml")):
        for examples in read_examples(path).values():
            out += [(path.stem, ANNOTATION.sub(r"\1", e)) for e in examples]
    return out


def short_texts() -> list[tuple[str, str]]:
    doc = yaml.safe_load((ROOT / "bench" / "data" / "short_texts.yml").read_text("utf-8"))
    return [(lang, str(t)) for lang, texts in doc.items() for t in texts]


def ours(text: str) -> str | None:
    return language.detect(text).language


def make_langdetect():  # type: ignore[no-untyped-def]
    from langdetect import DetectorFactory, detect

    DetectorFactory.seed = 0

    def run(text: str) -> str | None:
        try:
            return detect(text).split("-")[0]
        except Exception:  # langdetect raises on texts without features
            return None

    return run


def make_lingua():  # type: ignore[no-untyped-def]
    from lingua import LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models() \
        .build()

    def run(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else None

    return run


def score(detect, items: list[tuple[str, str]]) -> dict:  # type: ignore[no-untyped-def]
    detect(items[0][1])  # warm up (lazy model loading is not per message)
    started = time.perf_counter()
    right = sum(detect(text) == gold for gold, text in items)
    elapsed = time.perf_counter() - started
    return {"accuracy": round(right / len(items), 4),
            "ms_per_message": round(elapsed / len(items) * 1000, 3), "n": len(items)}


def main() -> int:
    sets = {"shopper messages (held-out, 10 languages)": shopper_messages(),
            "1-3 word texts (17 languages)": short_texts()}
    detectors = {"ours (bot/language.py)": ours, "langdetect (raw, seeded)": make_langdetect(),
                 "lingua (all languages, high accuracy)": make_lingua()}
    results: dict = {}
    for set_name, items in sets.items():
        results[set_name] = {name: score(fn, items) for name, fn in detectors.items()}
    print("| set | detector | accuracy | ms / message |")
    print("|---|---|---:|---:|")
    for set_name, by_detector in results.items():
        for name, r in by_detector.items():
            print(f"| {set_name} | {name} | {r['accuracy']:.3f} | {r['ms_per_message']:.2f} |")
    out = ROOT / "bench" / "results" / "language_detection.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
