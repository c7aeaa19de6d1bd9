"""Language identification from the first words of a chat: ours vs langdetect vs lingua, one run.

    .venv/bin/python bench/language_detection.py [--misses]

Sets:
  * bench/data/first_words.yml: single words, word pairs and short sentences in each of the 10
    native languages, written by hand for this benchmark (not project data). Vietnamese typed
    without diacritics is its own row; words that belong to two of our languages ("pedido") stay
    in the score and are also reported apart (the "distinctive" columns leave them out).
  * the held-out shopper messages of every native language (tests/nlu/<lang>.yml).
  * bench/data/other_languages.yml: sentences in languages we serve through machine
    translation; what matters is that they are not taken for one of ours.
  * bench/data/short_texts.yml: 1-3 word texts in the natives and in languages we serve through
    machine translation (pl, tr, nl, ...). Detectors restricted to our 10 languages cannot get
    the others right; the row shows what the translation path sees.

Detectors, one message at a time, no hint, no conversation history:
  * ours: bot.language.detect
  * langdetect restricted to the 10 natives (seeded; a factory loaded with only their profiles)
    and raw langdetect (all 55 profiles, seeded)
  * lingua restricted to the 10 natives (high accuracy, preloaded models)

Latency: ms per message for each detector after a warm-up pass over the whole set (p50, p95).
Prints Markdown tables and writes bench/results/language_detection.json.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import language, nludata  # noqa: E402

DATA = ROOT / "bench" / "data"
OUT = ROOT / "bench" / "results" / "language_detection.json"
KINDS = ("words", "pairs", "sentences")

Detect = Callable[[str], "str | None"]


class Item:
    __slots__ = ("lang", "kind", "text", "ambiguous", "plain")

    def __init__(self, lang: str, kind: str, text: str, ambiguous: bool, plain: bool) -> None:
        self.lang, self.kind, self.text = lang, kind, text
        self.ambiguous, self.plain = ambiguous, plain


def first_words() -> list[Item]:
    doc = yaml.safe_load((DATA / "first_words.yml").read_text("utf-8"))
    owners: dict[str, set[str]] = defaultdict(set)  # same string under two languages
    for lang, sets in doc.items():
        for key, texts in sets.items():
            if key.split("_")[0] in ("words", "pairs"):
                for text in texts:
                    owners[str(text).lower()].add(lang)
    items = []
    for lang, sets in doc.items():
        marked = {str(t) for t in sets.get("ambiguous", []) + sets.get("ambiguous_pairs", [])}
        for key, texts in sets.items():
            kind, _, variant = key.partition("_")
            if kind not in KINDS:
                continue
            for raw in texts:
                text = str(raw)
                ambiguous = text in marked or len(owners[text.lower()]) > 1
                items.append(Item(lang, kind, text, ambiguous, variant == "plain"))
    return items


def shopper_messages() -> list[tuple[str, str]]:
    out = []
    for lang in language.NATIVE:
        for examples in nludata.heldout_examples(lang).values():
            out += [(lang, nludata.plain(e)) for e in examples]
    return out


def other_languages() -> list[tuple[str, str]]:
    doc = yaml.safe_load((DATA / "other_languages.yml").read_text("utf-8"))
    return [(lang, str(t)) for lang, texts in doc.items() for t in texts]


def short_texts() -> list[tuple[str, str]]:
    doc = yaml.safe_load((DATA / "short_texts.yml").read_text("utf-8"))
    return [(lang, str(t)) for lang, texts in doc.items() for t in texts]


# ---------------------------------------------------------------- detectors


def ours(text: str) -> str | None:
    return language.detect(text).language


def make_langdetect(restricted: bool) -> Detect:
    from langdetect import DetectorFactory, detector_factory
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # langdetect is random unless seeded
    if restricted:
        factory = DetectorFactory()
        profiles = Path(detector_factory.PROFILES_DIRECTORY)
        factory.load_json_profile(
            [(profiles / lang).read_text("utf-8") for lang in language.NATIVE]
        )
    else:
        detector_factory.init_factory()
        factory = detector_factory._factory

    def run(text: str) -> str | None:
        detector = factory.create()
        detector.append(text)
        try:
            return str(detector.detect()).split("-")[0]
        except LangDetectException:  # raised on texts without features
            return None

    return run


def make_lingua() -> Detect:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    natives = [Language.from_iso_code_639_1(IsoCode639_1.from_str(c)) for c in language.NATIVE]
    detector = LanguageDetectorBuilder.from_languages(*natives).with_preloaded_language_models()
    built = detector.build()

    def run(text: str) -> str | None:
        found = built.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else None

    return run


def detectors() -> dict[str, Detect]:
    return {
        "ours": ours,
        "langdetect-10": make_langdetect(restricted=True),
        "langdetect-raw": make_langdetect(restricted=False),
        "lingua-10": make_lingua(),
    }


# ---------------------------------------------------------------- scoring


def run_all(detect: Detect, texts: list[str]) -> tuple[list[str | None], list[float]]:
    for text in texts:  # warm-up: lazy model loading and caches are not per message
        detect(text)
    answers, ms = [], []
    for text in texts:
        started = time.perf_counter_ns()
        answers.append(detect(text))
        ms.append((time.perf_counter_ns() - started) / 1e6)
    return answers, ms


def latency(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50": round(statistics.median(ordered), 4), "p95": round(p95, 4)}


def accuracy(pairs: list[tuple[str, str | None]]) -> dict[str, Any]:
    right = sum(gold == got for gold, got in pairs)
    return {"accuracy": round(right / len(pairs), 4) if pairs else None, "n": len(pairs)}


def score_first_words(items: list[Item], answers: list[str | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in KINDS:
        by_lang: dict[str, Any] = {}
        for lang in language.NATIVE:
            chosen = [
                (i, a)
                for i, a in zip(items, answers, strict=True)
                if i.kind == kind and i.lang == lang and not i.plain
            ]
            by_lang[lang] = accuracy([(i.lang, a) for i, a in chosen])
            by_lang[lang]["distinctive"] = accuracy(
                [(i.lang, a) for i, a in chosen if not i.ambiguous]
            )["accuracy"]
        plain = [
            (i.lang, a) for i, a in zip(items, answers, strict=True) if i.kind == kind and i.plain
        ]
        if plain:
            by_lang["vi (no diacritics)"] = accuracy(plain)
        main = [
            (i, a) for i, a in zip(items, answers, strict=True) if i.kind == kind and not i.plain
        ]
        out[kind] = {
            "overall": accuracy([(i.lang, a) for i, a in main]),
            "distinctive": accuracy([(i.lang, a) for i, a in main if not i.ambiguous]),
            "by_language": by_lang,
        }
    return out


def main(argv: list[str]) -> int:
    show_misses = "--misses" in argv
    items = first_words()
    shopper = shopper_messages()
    short = short_texts()
    others = other_languages()
    results: dict[str, Any] = {
        "sets": {
            "first_words": {k: sum(i.kind == k and not i.plain for i in items) for k in KINDS},
            "first_words_vi_plain": sum(i.plain for i in items),
            "shopper_heldout": len(shopper),
            "short_texts_17_languages": len(short),
            "other_languages": len(others),
        },
        "detectors": {},
    }
    for name, detect in detectors().items():
        answers, ms = run_all(detect, [i.text for i in items])
        shop_answers, shop_ms = run_all(detect, [t for _, t in shopper])
        short_answers, _ = run_all(detect, [t for _, t in short])
        other_answers, _ = run_all(detect, [t for _, t in others])
        by_kind_ms: dict[str, list[float]] = defaultdict(list)
        for item, took in zip(items, ms, strict=True):
            by_kind_ms[item.kind].append(took)
        entry: dict[str, Any] = {
            "first_words": score_first_words(items, answers),
            "shopper_heldout": accuracy(
                [(g, a) for (g, _), a in zip(shopper, shop_answers, strict=True)]
            ),
            "short_texts": {
                "natives": accuracy(
                    [
                        (g, a)
                        for (g, _), a in zip(short, short_answers, strict=True)
                        if g in language.NATIVE
                    ]
                ),
                "others": accuracy(
                    [
                        (g, a)
                        for (g, _), a in zip(short, short_answers, strict=True)
                        if g not in language.NATIVE
                    ]
                ),
            },
            "other_languages": {
                "exact": accuracy(
                    [(g, a) for (g, _), a in zip(others, other_answers, strict=True)]
                ),
                "not_native": accuracy(
                    [("other", a if a in language.NATIVE else "other") for a in other_answers]
                ),
            },
            "ms_per_message": {
                "all": latency(ms + shop_ms),
                **{kind: latency(v) for kind, v in by_kind_ms.items()},
                "shopper_heldout": latency(shop_ms),
            },
        }
        if name == "ours":
            entry["misses"] = [
                {"lang": i.lang, "kind": i.kind, "text": i.text, "got": a, "ambiguous": i.ambiguous}
                for i, a in zip(items, answers, strict=True)
                if a != i.lang
            ]
        results["detectors"][name] = entry
    print_tables(results)
    if show_misses:
        for miss in results["detectors"]["ours"]["misses"]:
            print(miss)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten to {OUT.relative_to(ROOT)}")
    return 0


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_tables(results: dict[str, Any]) -> None:
    names = list(results["detectors"])
    det = results["detectors"]
    print("## First words (bench/data/first_words.yml), accuracy\n")
    print("| set | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for kind in KINDS:
        for label, key in (("all", "overall"), ("distinctive", "distinctive")):
            cells = [fmt(det[n]["first_words"][kind][key]["accuracy"]) for n in names]
            n = det[names[0]]["first_words"][kind][key]["n"]
            print(f"| {kind}, {label} (n={n}) | " + " | ".join(cells) + " |")
    for kind in KINDS:
        cells = [
            fmt(det[n]["first_words"][kind]["by_language"]["vi (no diacritics)"]["accuracy"])
            for n in names
        ]
        print(f"| {kind}, vi without diacritics | " + " | ".join(cells) + " |")
    n_shop = results["sets"]["shopper_heldout"]
    print(
        f"| held-out shopper messages (n={n_shop}) | "
        + " | ".join(fmt(det[n]["shopper_heldout"]["accuracy"]) for n in names)
        + " |"
    )
    for key, label in (("exact", "right language"), ("not_native", "not taken for ours")):
        cells = [fmt(det[n]["other_languages"][key]["accuracy"]) for n in names]
        print(f"| other_languages.yml, {label} | " + " | ".join(cells) + " |")
    for group in ("natives", "others"):
        cells = [fmt(det[n]["short_texts"][group]["accuracy"]) for n in names]
        print(f"| short_texts.yml, {group} | " + " | ".join(cells) + " |")

    print("\n## Per language (words / pairs / sentences)\n")
    print("| language | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for lang in (*language.NATIVE, "vi (no diacritics)"):
        cells = []
        for n in names:
            fw = det[n]["first_words"]
            cells.append(" / ".join(fmt(fw[k]["by_language"][lang]["accuracy"]) for k in KINDS))
        print(f"| {lang} | " + " | ".join(cells) + " |")

    print("\n## ms per message after warm-up (p50 / p95)\n")
    print("| detector | words | pairs | sentences | held-out messages | all |")
    print("|---|---:|---:|---:|---:|---:|")
    for n in names:
        lat = det[n]["ms_per_message"]
        cells = [
            f"{lat[k]['p50']:.3f} / {lat[k]['p95']:.3f}" for k in (*KINDS, "shopper_heldout", "all")
        ]
        print(f"| {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
