"""Validation and cleaning of shopper text before anything else sees it."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from handoff.errors import InputError

CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}$")
_TAG = re.compile(r"<[^>]{0,500}>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_CONTROL = {c for c in range(32) if c not in (9, 10, 13)} | {127}


@dataclass(frozen=True)
class ShopperText:
    original: str  # kept verbatim in the transcript (escaped wherever it is shown)
    plain: str  # what the bot reads: markup removed, whitespace folded
    had_markup: bool


def is_encodable(text: str) -> bool:
    """JSON may carry lone surrogates ("\\ud800") that no UTF-8 store can keep."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def check_client_id(raw: object) -> str | None:
    """The widget's id of one message (for idempotent resends)."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not CLIENT_ID.match(raw):
        raise InputError(400, "bad_client_id", "'client_id' must be 1-64 letters, digits or -_.:")
    return raw


def check_locale(raw: object) -> str | None:
    """The page's locale hint ("de-DE", "pt_BR", "ar"): validated, never used as a path."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not LOCALE.match(raw):
        raise InputError(400, "bad_locale", "'locale' must look like en, de-DE or pt_BR")
    return raw


def check_conversation_id(conv_id: str) -> str:
    if not CONVERSATION_ID.match(conv_id or ""):
        raise InputError(
            400,
            "bad_conversation_id",
            "conversation id must be 6-64 characters of A-Z, a-z, 0-9, _ or -",
        )
    return conv_id


def clean_text(raw: object, max_chars: int) -> ShopperText:
    if not isinstance(raw, str):
        raise InputError(400, "bad_text", "'text' must be a string")
    if not is_encodable(raw):
        raise InputError(400, "bad_text", "the text has invalid characters (lone surrogates)")
    text = unicodedata.normalize("NFC", raw).translate({c: None for c in _CONTROL})
    if not text.strip():
        raise InputError(400, "empty_text", "the message is empty: send some text")
    if len(text) > max_chars:
        raise InputError(
            413,
            "text_too_long",
            f"the message has {len(text)} characters; the limit is {max_chars}",
        )
    no_scripts = _SCRIPT.sub(" ", text)
    stripped = html.unescape(_TAG.sub(" ", no_scripts))
    plain = " ".join(stripped.split())
    had_markup = plain != " ".join(text.split())
    if not plain:
        raise InputError(400, "empty_text", "the message has no text once markup is removed")
    return ShopperText(original=text, plain=plain, had_markup=had_markup)
