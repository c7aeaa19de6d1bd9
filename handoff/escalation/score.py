"""Explainable escalation scoring: a pure function of one message and its context.

Reasons come from the trigger rules (`rules.py`, per language; English rules apply to every
message as well, since shoppers mix "scam" or "PayPal dispute" into any language), the
sentiment (`sentiment.py`) and the context (order value, VIP, misunderstandings, repeat
contact); weights and thresholds from `escalation.yml` (`config.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from handoff.escalation.config import config
from handoff.escalation.result import Escalation, Reason
from handoff.escalation.rules import find_triggers, fold, rules_for
from handoff.escalation.sentiment import sentiment_of


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
    if (
        ctx.order_value_usd is not None
        and problem
        and ctx.order_value_usd >= cfg["value"]["threshold_usd"]
    ):
        reasons.append(
            Reason(
                "value",
                f"order worth ${ctx.order_value_usd:,.0f} with a "
                f"{(ctx.intent or '').replace('_', ' ')} question",
            )
        )
    if ctx.customer_tier == "vip" and (problem or sentiment < 0):
        reasons.append(Reason("vip", "repeat customer with high lifetime value"))
    if ctx.fallback_streak >= cfg["bot_failure"]["streak"]:
        reasons.append(
            Reason("bot_failure", f"not understood {ctx.fallback_streak} times in a row")
        )
    if (
        ctx.contacts_about_order >= cfg["repeat_contact"]["contacts_about_order"]
        or "same message again" in anger
    ):
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
    return Escalation(
        escalate=escalate,
        score=total,
        priority=priority,
        reasons=tuple(reasons),
        sentiment=round(sentiment, 3),
    )
