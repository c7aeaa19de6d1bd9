"""Response copy per language (data/responses/<lang>.yml) and locale-aware formatting.

Trainers change wording in the YAML files only; actions ask for a key and pass facts.
"""

from __future__ import annotations

import logging
import string
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_currency, format_decimal

from bot.language import NATIVE

RESPONSES_DIR = Path(__file__).resolve().parent.parent / "data" / "responses"
LOG = logging.getLogger(__name__)
# Locale per language, refined by the order's destination country where it differs.
LOCALES = {"en": "en_US", "es": "es_ES", "fr": "fr_FR", "de": "de_DE", "it": "it_IT",
           "pt": "pt_BR", "ar": "ar_SA", "ja": "ja_JP", "vi": "vi_VN", "th": "th_TH"}
COUNTRY_LOCALES = {("en", "GB"): "en_GB", ("en", "AU"): "en_AU", ("es", "MX"): "es_MX",
                   ("pt", "PT"): "pt_PT", ("ar", "AE"): "ar_AE", ("de", "AT"): "de_AT",
                   ("de", "CH"): "de_CH", ("fr", "BE"): "fr_BE"}


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    path = RESPONSES_DIR / f"{lang}.yml"
    if not path.exists():
        return {}
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): str(v).strip() for k, v in doc.get("responses", {}).items()}


def reload() -> None:
    catalog.cache_clear()


def locale_for(lang: str, country: str | None = None) -> str:
    return COUNTRY_LOCALES.get((lang, country or ""), LOCALES.get(lang, "en_US"))


class SafeDict(dict):  # type: ignore[type-arg]
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
        return format_skeleton("MMMMEEEEd", value, locale=self.locale)

    def short_date(self, value: datetime) -> str:
        return format_skeleton("MMMd", value, locale=self.locale)

    def money(self, amount: float, currency: str) -> str:
        return format_currency(amount, currency, locale=self.locale)

    def number(self, value: float, digits: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(round(value, digits), format=pattern, locale=self.locale)

    def country(self, code: str) -> str:
        return Locale.parse(self.locale).territories.get(code, code)
