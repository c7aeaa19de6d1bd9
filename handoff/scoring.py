"""Explainable escalation scoring: a pure function of one message and its context.

Trigger phrases, negations, benign look-alikes and sentiment lexicons come from
handoff/escalation_rules/<lang>.yml (trainers edit them); weights and thresholds from
handoff/escalation.yml. English rules apply to every message as well, since shoppers mix
"scam" or "PayPal dispute" into any language.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import regex
import yaml

from handoff.escalation import Escalation, Reason

RULES_DIR = Path(__file__).with_name("escalation_rules")
CONFIG_FILE = Path(__file__).with_name("escalation.yml")
TRIGGER_CODES = ("legal", "fraud", "dispute", "platform", "human")
UNSPACED = {"ja", "th", "zh"}
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي"})
_TASHKEEL = regex.compile(r"[\u064B-\u0652\u0640]")
_WORD = regex.compile(r"[\p{L}\p{N}']+")


def fold(text: str) -> str:
    """Lower case, accents removed, Arabic letter variants unified: what rules match on."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_ARABIC_FOLD)
    text = _TASHKEEL.sub("", text)
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed
                   if not (unicodedata.category(c) == "Mn" and _latin_mark(c, decomposed)))
    return unicodedata.normalize("NFC", kept)


def _latin_mark(mark: str, text: str) -> bool:
    # strip combining accents (é -> e) but keep Thai/Japanese/Vietnamese-free marks we need:
    # Thai vowels and tone marks are category Mn too and must stay.
    return not ("\u0e00" <= mark <= "\u0e7f" or "\u3099" <= mark <= "\u309a")


@dataclass(frozen=True)
class LanguageRules:
    lang: str
    triggers: dict[str, regex.Pattern[str]]
    negations: frozenset[str]
    benign: regex.Pattern[str] | None
    negative: dict[str, float]
    positive: dict[str, float]
    intensifiers: frozenset[str]
    anger: frozenset[str]


def _phrase_regex(phrases: list[str], unspaced: bool) -> regex.Pattern[str] | None:
    parts = []
    for phrase in sorted({fold(str(p)).strip() for p in phrases if str(p).strip()},
                         key=len, reverse=True):
        pieces = [regex.escape(x.strip()) for x in phrase.split("*")]
        gap = r".{0,20}?" if unspaced else r"(?:\s+\S+){0,3}?\s+"
        body = gap.join(p for p in pieces if p)
        parts.append(body if unspaced else rf"(?<![\p{{L}}\p{{N}}]){body}(?![\p{{L}}\p{{N}}])")
    return regex.compile("|".join(parts)) if parts else None


@lru_cache(maxsize=None)
def rules_for(lang: str) -> LanguageRules | None:
    path = RULES_DIR / f"{lang}.yml"
    if not path.exists():
        return None
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unspaced = lang in UNSPACED
    triggers = {code: rx for code in TRIGGER_CODES
                if (rx := _phrase_regex(doc.get("triggers", {}).get(code) or [], unspaced))}
    senti = doc.get("sentiment", {}) or {}
    return LanguageRules(
        lang=lang, triggers=triggers,
        negations=frozenset(fold(str(w)) for w in doc.get("negations") or []),
        benign=_phrase_regex(doc.get("benign") or [], unspaced),
        negative={fold(str(k)): float(v) for k, v in (senti.get("negative") or {}).items()},
        positive={fold(str(k)): float(v) for k, v in (senti.get("positive") or {}).items()},
        intensifiers=frozenset(fold(str(w)) for w in senti.get("intensifiers") or []),
        anger=frozenset(fold(str(w)) for w in senti.get("anger_marks") or []),
    )


@lru_cache(maxsize=1)
def config() -> dict[str, Any]:
    return dict(yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Context:
    """What the gateway knows about the conversation when a message arrives."""

    language: str = "en"
    intent: str | None = None
    order_value_usd: float | None = None
    customer_tier: str | None = None  # new | repeat | vip
    previous_texts: tuple[str, ...] = ()
    fallback_streak: int = 0
    contacts_about_order: int = 0


@dataclass
class Signals:
    triggers: dict[str, str] = field(default_factory=dict)  # code -> matched phrase
    sentiment: float = 0.0
    anger: list[str] = field(default_factory=list)


def _negated(text: str, start: int, negations: frozenset[str], unspaced: bool) -> bool:
    if unspaced:
        window = text[max(0, start - 6):start]
        return any(n in window for n in negations)
    # only the same clause counts: in "never arrived, total scam" the scam is not denied
    clause = regex.split(r"[,.;:!?¿¡،؟。、\n]", text[:start])[-1]
    before = _WORD.findall(clause)[-3:]
    return any(w in negations for w in before)


def find_triggers(folded: str, rules: list[LanguageRules]) -> dict[str, str]:
    found: dict[str, str] = {}
    for r in rules:
        unspaced = r.lang in UNSPACED
        benign_spans = [m.span() for m in r.benign.finditer(folded)] if r.benign else []
        for code, rx in r.triggers.items():
            if code in found:
                continue
            for m in rx.finditer(folded):
                if any(s <= m.start() and m.end() <= e for s, e in benign_spans):
                    continue
                if _negated(folded, m.start(), r.negations, unspaced):
                    continue
                found[code] = m.group().strip()
                break
    return found


def sentiment_of(original: str, folded: str, rules: list[LanguageRules],
                 previous: tuple[str, ...]) -> tuple[float, list[str]]:
    """Sentiment in [-1, 1] from the lexicons plus anger marks (caps, !!!, repeats)."""
    cfg = config()["sentiment"]
    negative = positive = 0.0
    anger: list[str] = []
    words = _WORD.findall(folded)
    for r in rules:
        unspaced = r.lang in UNSPACED
        if unspaced:
            negative += sum(w for k, w in r.negative.items() if k and k in folded)
            positive += sum(w for k, w in r.positive.items() if k and k in folded)
            if any(a and a in folded for a in r.anger):
                anger.append("insult")
            continue
        boost = 1.0
        for i, word in enumerate(words):
            two = f"{word} {words[i + 1]}" if i + 1 < len(words) else ""
            weight_n = r.negative.get(two) or r.negative.get(word)
            weight_p = r.positive.get(two) or r.positive.get(word)
            if weight_n:
                negated = i > 0 and words[i - 1] in r.negations
                if negated:
                    positive += weight_n * 0.5  # "not bad"
                else:
                    negative += weight_n * boost
            if weight_p:
                if i > 0 and words[i - 1] in r.negations:
                    negative += weight_p  # "not happy"
                else:
                    positive += weight_p * boost
            if word in r.anger and "insult" not in anger:
                anger.append("insult")
            boost = 1.5 if word in r.intensifiers else 1.0
    letters = [c for c in original if c.isalpha() and c.isascii()]
    if len(letters) >= cfg["caps_min_letters"] and \
            sum(c.isupper() for c in letters) / len(letters) >= cfg["caps_ratio"]:
        anger.append("shouting")
    if regex.search(r"[!！]{3,}|[?？]{3,}|[!?]{4,}", original):
        anger.append("repeated punctuation")
    if previous and sum(fold(p) == folded for p in previous[-4:]) >= \
            config()["repeat_contact"]["same_message_repeats"] - 1:
        anger.append("same message again")
    negative += 1.5 * len(anger)
    return math.tanh((positive - negative) / 3.0), anger


def score(text: str, ctx: Context) -> Escalation:
    cfg = config()
    weights: dict[str, float] = cfg["weights"]
    folded = fold(text)
    rules = [r for r in (rules_for(ctx.language), rules_for("en")) if r is not None]
    rules = list({r.lang: r for r in rules}.values())
    reasons: list[Reason] = []
    for code, phrase in find_triggers(folded, rules).items():
        reasons.append(Reason(code, f"said “{phrase}”"))
    sentiment, anger = sentiment_of(text, folded, rules, ctx.previous_texts)
    if sentiment <= cfg["sentiment"]["escalate_below"]:
        detail = f"strongly negative ({sentiment:+.2f})"
        reasons.append(Reason("sentiment", detail + (f": {', '.join(anger)}" if anger else "")))
    problem = ctx.intent in cfg["value"]["problem_intents"]
    if ctx.order_value_usd is not None and problem and \
            ctx.order_value_usd >= cfg["value"]["threshold_usd"]:
        reasons.append(Reason("value", f"order worth ${ctx.order_value_usd:,.0f} with a "
                                       f"{ctx.intent.replace('_', ' ')} question"))
    if ctx.customer_tier == "vip" and (problem or sentiment < 0):
        reasons.append(Reason("vip", "repeat customer with high lifetime value"))
    if ctx.fallback_streak >= cfg["bot_failure"]["streak"]:
        reasons.append(Reason("bot_failure", f"not understood {ctx.fallback_streak} times in a row"))
    if ctx.contacts_about_order >= cfg["repeat_contact"]["contacts_about_order"] or \
            "same message again" in anger:
        reasons.append(Reason("repeat_contact", "the same problem raised again"))
    value = 1.0
    for reason in reasons:
        value *= 1.0 - weights.get(reason.code, 0.5)
    total = round(1.0 - value, 3)
    pcfg = cfg["priority"]
    codes = {r.code for r in reasons}
    # asking for a person (or the bot failing) decides *whether* a person takes over, not
    # how urgent it is: urgency comes from the other reasons
    calm = 1.0
    for reason in reasons:
        if reason.code not in pcfg["routing_only"]:
            calm *= 1.0 - weights.get(reason.code, 0.5)
    urgency = 1.0 - calm
    escalate = total >= cfg["escalate_at"]
    if codes & set(pcfg["urgent_reasons"]) or urgency >= pcfg["urgent_at"]:
        priority = "urgent"
    elif urgency >= pcfg["high_at"]:
        priority = "high"
    elif urgency >= pcfg["normal_at"] or escalate:
        priority = "normal"
    else:
        priority = "low" if reasons else "none"
    return Escalation(escalate=escalate, score=total, priority=priority,
                      reasons=tuple(reasons), sentiment=round(sentiment, 3))
