"""Checks a reply of the response copy must pass before it is written: placeholders, language."""

from __future__ import annotations

import string
import unicodedata

import regex

from handoff.trainer.problems import Problem, ValidationFailed
from handoff.trainer.text_checks import BAD_CHARS, language_problem

MAX_REPLY_CHARS = 2000


def placeholders(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def check_reply(
    lang: str, key: str, raw_text: object, english: str, allow_language: bool = False
) -> str:
    """The reply as it will be saved (leading/trailing spaces kept: they can be copy)."""
    if not isinstance(raw_text, str):
        raise ValidationFailed([Problem("bad_text", "'text' must be a string")])
    text = unicodedata.normalize("NFC", raw_text)
    problems: list[Problem] = []
    if BAD_CHARS.search(text.replace("\n", "")):
        problems.append(Problem("bad_characters", "the reply contains control characters"))
    if not text.strip():
        problems.append(Problem("empty_reply", "the reply is empty"))
    if len(text) > MAX_REPLY_CHARS:
        problems.append(
            Problem(
                "reply_too_long", f"{len(text)} characters; replies have at most {MAX_REPLY_CHARS}"
            )
        )
    if problems:
        raise ValidationFailed(problems)
    try:
        found = placeholders(text)
    except ValueError as exc:
        raise ValidationFailed(
            [
                Problem(
                    "bad_placeholder",
                    f"braces do not pair up ({exc}); placeholders look like {{order_id}}",
                )
            ]
        ) from None
    wanted = placeholders(english)
    if found != wanted:
        missing, extra = sorted(wanted - found), sorted(found - wanted)
        detail = "; ".join(
            x
            for x in (f"missing {missing}" if missing else "", f"unknown {extra}" if extra else "")
            if x
        )
        problems.append(
            Problem(
                "placeholders",
                f"{key} must use exactly the placeholders {sorted(wanted) or 'none'} ({detail})",
            )
        )
    if not allow_language:
        words_only = regex.sub(r"\{[^{}]*\}", " ", text)
        found_lang = language_problem(words_only, lang)
        if found_lang:
            problems.append(found_lang)
    if problems:
        raise ValidationFailed(problems)
    return text
