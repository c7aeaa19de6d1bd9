"""The typed conversation record: every field of the conversation hash, with its meaning.

Redis keeps a conversation as one hash of strings (`keys.conversation(id)`), written by the
turn pipeline, the queue's Lua scripts and the desk. `Conversation.from_hash` is the one
reader; `fields(...)` is the one way to build an update, and refuses unknown names, so a
typo'd field can't silently start a second spelling.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Mode(str, Enum):
    BOT = "bot"  # the bot answers
    QUEUED = "queued"  # waiting for a person; the bot is silent
    AGENT = "agent"  # a person owns the chat; the bot is silent


class Priority(str, Enum):
    NONE = "none"
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """Queue order: urgent first. `none` and `low` share the last place."""
        return {"urgent": 0, "high": 1, "normal": 2, "low": 3, "none": 3}[self.value]


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "", "None") else None
    except ValueError:
        return None


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(float(value)) if value not in (None, "", "None") else default
    except ValueError:
        return default


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    mode: Mode = Mode.BOT
    language: str | None = None  # the shopper's language (ISO 639-1)
    locale: str | None = None  # the storefront page's locale hint
    created_at: float | None = None
    updated_at: float | None = None
    last_text: str | None = None  # the shopper's last message (first 300 characters)
    recent_texts: tuple[str, ...] = ()  # the last five shopper messages (repeat detection)
    last_shopper_seq: int = 0
    last_intent: str | None = None
    fallback_streak: int = 0  # misunderstood messages in a row
    # the verified order (set by the bot once the shopper proved it is theirs)
    order_id: str | None = None
    order_value_usd: float | None = None
    customer_tier: str | None = None
    country: str | None = None
    # the human queue (handoff.routing.queue writes these in Lua)
    queued_reason: str | None = None
    team: str | None = None
    priority: Priority | None = None
    priority_rank: int | None = None
    queued_at: float | None = None
    sla_due: float | None = None
    escalation: dict[str, Any] | None = None  # the decision that queued it, with reasons
    owner: str | None = None  # the agent's login
    owner_name: str | None = None
    claimed_at: float | None = None
    first_response_at: float | None = None
    # outside chat hours the shopper was promised an answer by email to this address (the
    # order's): the email channel mails the agents' replies there too
    email_followup: str | None = None
    # the Rasa tracker this conversation currently talks to, and the events written to it
    # (handoff.conversations.pipeline rotates it: see ROTATE_AFTER_TURNS there)
    rasa_sender: str | None = None
    rasa_turns: int = 0
    last_answered_seq: int = 0  # the last shopper message the bot answered

    @classmethod
    def from_hash(cls, conv_id: str, raw: dict[str, str]) -> Conversation:
        def text(name: str) -> str | None:
            value = raw.get(name)
            return value if value not in (None, "", "None") else None

        try:
            recent = tuple(json.loads(raw.get("recent_texts") or "[]"))
        except (json.JSONDecodeError, TypeError):
            recent = ()
        try:
            escalation = json.loads(raw["escalation"]) if raw.get("escalation") else None
        except json.JSONDecodeError:
            escalation = None
        mode = raw.get("mode") or "bot"
        priority = text("priority")
        return cls(
            conversation_id=conv_id,
            mode=Mode(mode) if mode in Mode._value2member_map_ else Mode.BOT,
            language=text("language"),
            locale=text("locale"),
            created_at=_float(raw.get("created_at")),
            updated_at=_float(raw.get("updated_at")),
            last_text=text("last_text"),
            recent_texts=recent,
            last_shopper_seq=_int(raw.get("last_shopper_seq")),
            last_intent=text("last_intent"),
            fallback_streak=_int(raw.get("fallback_streak")),
            order_id=text("order_id"),
            order_value_usd=_float(raw.get("order_value_usd")),
            customer_tier=text("customer_tier"),
            country=text("country"),
            queued_reason=text("queued_reason"),
            team=text("team"),
            priority=Priority(priority) if priority in Priority._value2member_map_ else None,
            priority_rank=_int(raw.get("priority_rank")) if raw.get("priority_rank") else None,
            queued_at=_float(raw.get("queued_at")),
            sla_due=_float(raw.get("sla_due")),
            escalation=escalation,
            owner=text("owner"),
            owner_name=text("owner_name"),
            claimed_at=_float(raw.get("claimed_at")),
            first_response_at=_float(raw.get("first_response_at")),
            email_followup=text("email_followup"),
            rasa_sender=text("rasa_sender"),
            rasa_turns=_int(raw.get("rasa_turns")),
            last_answered_seq=_int(raw.get("last_answered_seq")),
        )

    @property
    def with_human(self) -> bool:
        return self.mode in (Mode.QUEUED, Mode.AGENT)


FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(Conversation)) - {"conversation_id"}


def fields(**changes: Any) -> dict[str, str]:
    """An update of the conversation hash: known names only, values as Redis strings
    (None = leave the field as it is)."""
    unknown = set(changes) - FIELD_NAMES
    if unknown:
        raise ValueError(f"unknown conversation field(s): {', '.join(sorted(unknown))}")
    out: dict[str, str] = {}
    for name, value in changes.items():
        if value is None:
            continue
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, (list, tuple, dict)):
            value = json.dumps(
                list(value) if isinstance(value, tuple) else value, ensure_ascii=False
            )
        out[name] = str(value)
    return out
