"""Check the copy: the bot's responses and the storefront widget's UI strings.

Every language has every English key with the same placeholders, nothing empty:
- responses: data/responses/<lang>.yml, each language against en.yml;
- widget UI strings: the JSON object between the `/* widget-strings:begin */` and
  `/* widget-strings:end */` markers in handoff/web/static/widget.js; every native
  language (bot.language.NATIVE) must be there, and the placeholders must be ones the
  widget fills in ({name}, {n}).

Usage: python scripts/check_copy.py [lang ...]   (exit 1 on problems; the languages
restrict the responses check, the widget strings are always checked in full)
"""

from __future__ import annotations

import json
import re
import string
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.language import NATIVE  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DIR = ROOT / "data" / "responses"
WIDGET_JS = ROOT / "handoff" / "web" / "static" / "widget.js"
WIDGET_BEGIN = "/* widget-strings:begin */"
WIDGET_END = "/* widget-strings:end */"
WIDGET_PLACEHOLDERS = frozenset({"name", "n"})  # what widget.js's fmt() replaces
_WIDGET_FIELD = re.compile(r"\{([^{}]*)\}")


def load(lang: str) -> dict[str, str]:
    doc = yaml.safe_load((DIR / f"{lang}.yml").read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in (doc.get("responses") or {}).items()}


def fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def compare(
    label: str,
    copy: dict[str, str],
    english: dict[str, str],
    placeholders: Callable[[str], set[str]],
) -> list[str]:
    """Missing, unknown, empty keys and placeholder mismatches of one language's copy."""
    problems = [f"{label}: missing key {k}" for k in english if k not in copy]
    problems += [f"{label}: unknown key {k}" for k in copy if k not in english]
    for key, template in copy.items():
        if key in english and placeholders(template) != placeholders(english[key]):
            problems.append(
                f"{label}: {key} placeholders {sorted(placeholders(template))} != "
                f"{sorted(placeholders(english[key]))}"
            )
        if not template.strip():
            problems.append(f"{label}: {key} is empty")
    return problems


def check(lang: str, english: dict[str, str]) -> list[str]:
    return compare(lang, load(lang), english, fields)


# ---------------------------------------------------------------- widget UI strings


class WidgetStringsError(ValueError):
    """The widget's strings block is missing or is not the JSON object it should be."""


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise WidgetStringsError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def widget_strings(source: str | None = None) -> dict[str, dict[str, str]]:
    """language -> key -> text, parsed from widget.js (or from `source`)."""
    text = WIDGET_JS.read_text(encoding="utf-8") if source is None else source
    if text.count(WIDGET_BEGIN) != 1 or text.count(WIDGET_END) != 1:
        raise WidgetStringsError(f"widget.js needs exactly one {WIDGET_BEGIN} ... {WIDGET_END}")
    begin = text.index(WIDGET_BEGIN) + len(WIDGET_BEGIN)
    end = text.index(WIDGET_END)
    if end < begin:
        raise WidgetStringsError(f"{WIDGET_END} comes before {WIDGET_BEGIN}")
    try:
        doc = json.loads(text[begin:end], object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise WidgetStringsError(f"the widget strings are not strict JSON: {exc}") from None
    if not isinstance(doc, dict) or not all(
        isinstance(lang, dict) and all(isinstance(v, str) for v in lang.values())
        for lang in doc.values()
    ):
        raise WidgetStringsError("the widget strings must be {lang: {key: text}}")
    return doc


def widget_fields(template: str) -> set[str]:
    return set(_WIDGET_FIELD.findall(template))


def check_widget(strings: dict[str, dict[str, str]] | None = None) -> list[str]:
    """Problems with the widget's UI strings (an empty list when they are complete)."""
    if strings is None:
        try:
            strings = widget_strings()
        except WidgetStringsError as exc:
            return [f"widget: {exc}"]
    english = strings.get("en")
    if not english:
        return ["widget: no English strings"]
    problems = [f"widget: missing language {lang}" for lang in NATIVE if lang not in strings]
    for key, template in english.items():
        unknown = widget_fields(template) - WIDGET_PLACEHOLDERS
        if unknown:
            problems.append(
                f"widget en: {key} has placeholders the widget never fills in: {sorted(unknown)}"
            )
    for lang, copy in strings.items():
        problems += compare(f"widget {lang}", copy, english, widget_fields)
    return problems


def main(argv: list[str]) -> int:
    english = load("en")
    langs = argv or sorted(p.stem for p in DIR.glob("*.yml") if p.stem != "en")
    problems = [p for lang in langs for p in check(lang, english)]
    widget_problems = check_widget()
    for p in problems + widget_problems:
        print(" -", p)
    print(
        f"checked {len(langs)} languages against {len(english)} English keys: "
        f"{len(problems)} problems"
    )
    try:
        strings = widget_strings()
        summary = f"{len(strings)} languages against {len(strings.get('en', {}))} English keys"
    except WidgetStringsError:
        summary = "unreadable strings"
    print(f"checked the widget's UI strings ({summary}): {len(widget_problems)} problems")
    return 1 if problems or widget_problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
