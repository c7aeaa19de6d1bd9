"""Escalation result shape shared by the message API and /api/analyze."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reason:
    code: str
    detail: str


@dataclass(frozen=True)
class Escalation:
    escalate: bool = False
    score: float = 0.0
    priority: str = "none"  # none | low | normal | high | urgent
    reasons: tuple[Reason, ...] = field(default=())
    sentiment: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = [asdict(r) for r in self.reasons]
        data.pop("sentiment", None)  # reported beside the escalation, not inside it
        return data


def from_bot_handoff(reason: str, detail: str | None = None) -> Escalation:
    """The bot asked for a person (shopper request or repeated misunderstanding)."""
    detail = detail or {
        "human": "shopper asked for a person",
        "bot_failure": "bot did not understand the shopper repeatedly",
    }.get(reason, reason)
    return Escalation(True, 1.0, "normal", (Reason(reason, detail),))


def combine(bot_handoff: str | None, scored: Escalation, detail: str | None = None) -> Escalation:
    """The bot's own handoff (its reason first) merged with the message's score."""
    if bot_handoff is None:
        return scored
    own = from_bot_handoff(bot_handoff, detail)
    codes = {r.code for r in own.reasons}
    return Escalation(
        True,
        max(own.score, scored.score),
        own.priority if scored.priority in {"none", "low"} else scored.priority,
        own.reasons + tuple(r for r in scored.reasons if r.code not in codes),
        scored.sentiment,
    )
