"""Checks an NLU example must pass before it is written to a data file.

The rules are those `bot/nlucheck.py` enforces in `make test` (one intent per text in any
language, held-out texts never in training, known entities), plus annotation syntax and a
conservative "is this the file's language" check.
"""

from __future__ import annotations

import json
import unicodedata

from bot.nludata import ANNOTATION, key_of, plain
from handoff.trainer.domain import domain_entities
from handoff.trainer.example_index import ExampleIndex, Occurrence
from handoff.trainer.problems import Problem, ValidationFailed
from handoff.trainer.text_checks import BAD_CHARS, language_problem

MAX_EXAMPLE_CHARS = 500
ANNOTATION_KEYS = {"entity", "value", "role", "group"}


def plain_text(text: str) -> str:
    return plain(text)


def check_annotations(text: str) -> list[Problem]:
    problems: list[Problem] = []
    entities = set(domain_entities())
    for match in ANNOTATION.finditer(text):
        value, name, spec = match.group(1), match.group(2), match.group(3)
        if not value.strip():
            problems.append(Problem("bad_annotation", f"{match.group(0)!r} marks no text"))
        if spec is not None:
            try:
                parsed = json.loads(spec)
            except json.JSONDecodeError:
                problems.append(Problem("bad_annotation", f"{spec!r} is not valid JSON"))
                continue
            if not isinstance(parsed, dict) or not isinstance(parsed.get("entity"), str):
                problems.append(Problem("bad_annotation", f'{spec!r} needs an "entity" name'))
                continue
            extra = set(parsed) - ANNOTATION_KEYS
            if extra:
                problems.append(
                    Problem("bad_annotation", f"{spec!r} has unknown keys {sorted(extra)}")
                )
            name = parsed["entity"]
        name = (name or "").strip()
        if name not in entities:
            problems.append(
                Problem(
                    "unknown_entity",
                    f"{name!r} is not an entity; use one of {', '.join(sorted(entities))}",
                )
            )
    rest = ANNOTATION.sub("", text)
    if "[" in rest or "]" in rest:
        problems.append(
            Problem(
                "bad_annotation",
                "unbalanced [ ]: annotate as [text](entity), e.g. [XB-204518](order_id)",
            )
        )
    return problems


def normalise_example(text: object) -> tuple[str, list[Problem]]:
    if not isinstance(text, str):
        return "", [Problem("bad_text", "'text' must be a string")]
    text = unicodedata.normalize("NFC", text)
    if "\n" in text.strip() or "\r" in text.strip():
        return text, [Problem("multiple_lines", "one example per line: remove the line break")]
    if BAD_CHARS.search(text):
        return text, [Problem("bad_characters", "the example contains control characters")]
    text = " ".join(text.split())
    if text.startswith("- "):
        text = text[2:].strip()  # pasted from a YAML file
    if not plain_text(text).strip():
        return text, [Problem("empty_example", "the example is empty")]
    if len(text) > MAX_EXAMPLE_CHARS:
        return text, [
            Problem(
                "example_too_long",
                f"{len(text)} characters; examples have at most {MAX_EXAMPLE_CHARS}",
            )
        ]
    return text, []


def check_example(
    index: ExampleIndex,
    lang: str,
    intent: str,
    raw_text: object,
    *,
    editing: Occurrence | None = None,
    allow_language: bool = False,
) -> str:
    """The cleaned example text, or ValidationFailed with every problem found."""
    text, problems = normalise_example(raw_text)
    if problems:
        raise ValidationFailed(problems)
    problems = check_annotations(text)
    key = key_of(text)
    for occ in index.occurrences(text):
        if occ == editing:
            continue
        where = f"{occ.language}/{occ.feature}.yml"
        if occ.intent == intent and occ.language == lang:
            problems.append(
                Problem("duplicate_example", f"already an example of {intent} in {where}")
            )
        elif occ.intent != intent:
            problems.append(
                Problem(
                    "conflicting_intent",
                    f"the same text is an example of {occ.intent} in {where}; "
                    f"one text can only mean one intent",
                )
            )
    if key in index.heldout(lang):
        problems.append(
            Problem(
                "heldout_example",
                f"this text is in the held-out test set tests/nlu/{lang}.yml; "
                f"training on it would make the evaluation meaningless",
            )
        )
    if not allow_language:
        found = language_problem(plain_text(text), lang)
        if found:
            problems.append(found)
    if problems:
        raise ValidationFailed(problems)
    return text
