"""Response copy per language (data/responses/<lang>.yml) and locale-aware formatting.

Trainers change wording in the YAML files only; actions ask for a key and pass facts.
"""

from __future__ import annotations

import builtins
import logging
import string
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal

from bot.language import NATIVE

RESPONSES_DIR = Path(__file__).resolve().parent.parent / "data" / "responses"
LOG = logging.getLogger(__name__)
# Locale per language, refined by the order's destination country where it differs.
LOCALES = {
    "en": "en_US",
    "es": "es_ES",
    "fr": "fr_FR",
    "de": "de_DE",
    "it": "it_IT",
    "pt": "pt_BR",
    "ar": "ar_SA",
    "ja": "ja_JP",
    "vi": "vi_VN",
    "th": "th_TH",
}
COUNTRY_LOCALES = {
    ("en", "GB"): "en_GB",
    ("en", "AU"): "en_AU",
    ("es", "MX"): "es_MX",
    ("pt", "PT"): "pt_PT",
    ("ar", "AE"): "ar_AE",
    ("de", "AT"): "de_AT",
    ("de", "CH"): "de_CH",
    ("fr", "BE"): "fr_BE",
}


@cache
def catalog(lang: str) -> dict[str, str]:
    path = RESPONSES_DIR / f"{lang}.yml"
    if not path.exists():
        return {}
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    # values are kept as written: a leading space can be part of the copy
    return {str(k): str(v) for k, v in doc.get("responses", {}).items()}


def reload() -> None:
    catalog.cache_clear()


def locale_for(lang: str, country: str | None = None) -> str:
    return COUNTRY_LOCALES.get((lang, country or ""), LOCALES.get(lang, "en_US"))


# Full weekday and month, no year: how a support agent of each market writes a date.
DATE_PATTERNS = {
    "en": "EEEE, MMMM d",
    "en_GB": "EEEE d MMMM",
    "en_AU": "EEEE d MMMM",
    "es": "EEEE d 'de' MMMM",
    "fr": "EEEE d MMMM",
    "de": "EEEE, d. MMMM",
    "it": "EEEE d MMMM",
    "pt": "EEEE, d 'de' MMMM",
    "ar": "EEEE d MMMM",
    "ja": "M月d日(E)",
    "vi": "EEEE, 'ngày' d 'tháng' M",
    "th": "EEEEที่ d MMMM",
}


class SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        LOG.warning("copy placeholder missing", extra={"placeholder": key})
        return ""


def render(key: str, lang: str, **params: Any) -> str:
    """The copy for `key` in `lang` (English when a language lacks the key), filled in."""
    lang = lang if lang in NATIVE else "en"
    template = catalog(lang).get(key)
    if template is None:
        template = catalog("en").get(key)
        if template is None:
            raise KeyError(f"no copy for {key!r}")
        LOG.warning("copy missing in language, used English", extra={"key": key, "lang": lang})
    return string.Formatter().vformat(template, (), SafeDict(params))


def has_key(key: str) -> bool:
    return key in catalog("en")


class Fmt:
    """Formats dates, money and numbers for one language and destination country."""

    def __init__(self, lang: str, country: str | None = None) -> None:
        self.lang = lang if lang in NATIVE else "en"
        self.locale = locale_for(self.lang, country)

    def date(self, value: datetime) -> str:
        """Weekday, day and month in full, as the locale writes them (no year)."""
        pattern = DATE_PATTERNS.get(self.locale) or DATE_PATTERNS.get(self.lang)
        if pattern is None:
            return format_skeleton("MMMMEEEEd", value, locale=self.locale)
        return format_date(value, pattern, locale=self.locale)

    def list(self, items: builtins.list[str]) -> str:
        """'a, b and c' as the locale writes it ('a、b、c' in Japanese)."""
        return format_list(items, style="standard", locale=self.locale) if items else ""

    def sentences(self, parts: builtins.list[str]) -> str:
        """Sentences one after the other: Japanese puts no space between them."""
        return ("" if self.lang == "ja" else " ").join(p for p in parts if p)

    def place(self, place: str, country_code: str) -> str:
        country = self.country(country_code)
        if self.lang == "ja":
            return f"{place}（{country}）"
        return f"{place}{'، ' if self.lang == 'ar' else ', '}{country}"

    def short_date(self, value: datetime) -> str:
        return format_skeleton("MMMd", value, locale=self.locale)

    def money(self, amount: float, currency: str) -> str:
        return format_currency(amount, currency, locale=self.locale)

    def number(self, value: float, digits: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(round(value, digits), format=pattern, locale=self.locale)

    def country(self, code: str) -> str:
        return Locale.parse(self.locale).territories.get(code, code)
