"""Check response copy: every language has every English key with the same placeholders.

Usage: python scripts/check_copy.py [lang ...]   (exit 1 on problems)
"""

from __future__ import annotations

import string
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DIR = ROOT / "data" / "responses"


def load(lang: str) -> dict[str, str]:
    doc = yaml.safe_load((DIR / f"{lang}.yml").read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in (doc.get("responses") or {}).items()}


def fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def check(lang: str, english: dict[str, str]) -> list[str]:
    copy = load(lang)
    problems = [f"{lang}: missing key {k}" for k in english if k not in copy]
    problems += [f"{lang}: unknown key {k}" for k in copy if k not in english]
    for key, template in copy.items():
        if key in english and fields(template) != fields(english[key]):
            problems.append(
                f"{lang}: {key} placeholders {sorted(fields(template))} != "
                f"{sorted(fields(english[key]))}"
            )
        if not template.strip():
            problems.append(f"{lang}: {key} is empty")
    return problems


def main(argv: list[str]) -> int:
    english = load("en")
    langs = argv or sorted(p.stem for p in DIR.glob("*.yml") if p.stem != "en")
    problems = [p for lang in langs for p in check(lang, english)]
    for p in problems:
        print(" -", p)
    print(
        f"checked {len(langs)} languages against {len(english)} English keys: "
        f"{len(problems)} problems"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
