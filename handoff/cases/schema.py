"""The one shape of a case record: who (email), which order, what (issue type), how it ended.

Cases are written by the bot (a remedy accepted, an address changed, a duplicate charge
reversed) and by agents closing a chat; both go through `handoff.cases.writer`, so reports
read one schema. The first ten fields are the reports contract's CSV columns.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

CASE_FIELDS = (
    "created_at", "order_id", "email", "country", "sku", "issue_type", "resolution",
    "refund_amount", "currency", "channel",
    "case_id", "conversation_id", "resolved_by", "language", "note", "priority", "reasons",
    "waited_s", "first_response_s", "sla_breached",
)  # fmt: skip

Channel = Literal["chat", "email", "import"]


@dataclass(frozen=True)
class Case:
    """A case as recorded; `case_id` and `created_at` are given by the writer."""

    conversation_id: str | None
    issue_type: str
    resolution: str
    resolved_by: str  # "bot" or the agent's login
    order_id: str | None = None
    email: str | None = None
    country: str | None = None
    sku: str | None = None
    refund_amount: float | None = None
    currency: str | None = None
    channel: Channel = "chat"
    language: str | None = None
    note: str | None = None
    priority: str | None = None
    reasons: tuple[str, ...] = field(default=())
    waited_s: float | None = None
    first_response_s: float | None = None
    sla_breached: bool | None = None

    def __post_init__(self) -> None:
        if not self.issue_type or not self.resolution or not self.resolved_by:
            raise ValueError("a case needs issue_type, resolution and resolved_by")
        if self.note is not None and len(self.note) > 1000:
            object.__setattr__(self, "note", self.note[:1000])


def encode(case: Case, case_id: str, now: float | None = None) -> dict[str, str]:
    """The Redis hash of a case: strings, lists as JSON, empty fields left out."""
    values: dict[str, Any] = {
        **asdict(case),
        "case_id": case_id,
        "created_at": time.time() if now is None else now,
    }
    out: dict[str, str] = {}
    for name in CASE_FIELDS:
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, (list, tuple, dict)):
            out[name] = json.dumps(list(value) if isinstance(value, tuple) else value)
        else:
            out[name] = str(value)
    return out


def case_id_for(seq: int) -> str:
    return f"C-{seq:06d}"
