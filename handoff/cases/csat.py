"""Shopper satisfaction (CSAT) after a resolution: ask once, check and store the answer, and
put a bad one (rating <= 2, or a strongly negative comment) back in the human queue for a
lead with escalation reason `sentiment`.

State lives on the conversation hash (`csat_asked_at`, `csat_answered_at`, `csat_rating`,
`csat_comment`, `csat_agent`), so the console shows it on the case; the facts go to the
event bus as `csat_asked` / `csat_answered`.
"""

from __future__ import annotations

import json
import time
from typing import Any, Final

from redis.asyncio import Redis

from handoff import events, keys
from handoff.cases.events import Event, EventBus
from handoff.errors import Conflict, InputError, NotFound
from handoff.escalation.config import config
from handoff.escalation.rules import fold, rules_for
from handoff.escalation.sentiment import sentiment_of
from handoff.routing.queue import HandoffStore

MODES: Final = ("off", "agent", "all")
MAX_COMMENT_CHARS: Final = 1000
LOW_RATING: Final = 2  # this or lower reopens the case


def check_answer(body: Any) -> tuple[int, str]:
    """The rating (an integer 1..5; booleans are not integers here) and the comment."""
    if not isinstance(body, dict):
        raise InputError(400, "bad_body", "send a JSON object")
    rating = body.get("rating")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InputError(400, "bad_rating", "'rating' must be an integer from 1 to 5")
    comment = body.get("comment")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise InputError(400, "bad_comment", "'comment' must be a string")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise InputError(
            400, "comment_too_long", f"'comment' is at most {MAX_COMMENT_CHARS} characters"
        )
    return rating, comment


def comment_sentiment(comment: str, lang: str) -> float:
    """The escalation scorer's sentiment of the comment, in [-1, 1] (0 without a comment)."""
    if not comment:
        return 0.0
    rules = [r for r in (rules_for(lang), rules_for("en")) if r is not None]
    rules = list({r.lang: r for r in rules}.values())
    value, _anger = sentiment_of(comment, fold(comment), rules, ())
    return value


def should_reopen(rating: int, comment: str, lang: str) -> bool:
    """A rating of 2 or less, or a comment the scorer would escalate as strongly negative."""
    threshold = float(config()["sentiment"]["escalate_below"])
    return rating <= LOW_RATING or comment_sentiment(comment, lang) <= threshold


NOT_AN_ANSWER: Final = frozenset(
    {None, "greet", "thank", "goodbye", "nlu_fallback", "human_handoff", "affirm", "deny"}
)


def bot_resolved(intent: str | None, previous: str | None, person_involved: bool) -> bool:
    """The shopper thanked or said goodbye right after the bot answered a real question,
    and no person took part."""
    return intent in {"thank", "goodbye"} and previous not in NOT_AN_ANSWER and not person_involved


def should_ask(mode: str, by_agent: bool) -> bool:
    """CSAT_MODE off: never; agent: after an agent closed the chat; all: also bot-resolved."""
    return mode == "all" or (mode == "agent" and by_agent)


class Csat:
    def __init__(self, redis: Redis, handoff: HandoffStore, mode: str = "agent") -> None:
        self.redis = redis
        self.handoff = handoff
        self.mode = mode if mode in MODES else "agent"
        self.bus = EventBus(redis)

    async def ask(self, conv_id: str, agent: str | None) -> bool:
        """Mark the chat as asked and send the prompt to the shopper's sockets."""
        if not should_ask(self.mode, agent is not None):
            return False
        key = keys.conversation(conv_id)
        await self.redis.hset(
            key, mapping={"csat_asked_at": f"{time.time():.3f}", "csat_agent": agent or ""}
        )
        await self.redis.hdel(key, "csat_answered_at", "csat_rating", "csat_comment")
        await self.redis.publish(
            keys.channel(conv_id), json.dumps({"event": events.CSAT, "conversation_id": conv_id})
        )
        await self.bus.emit(Event("csat_asked", conv_id, {"agent": agent}))
        return True

    async def after_bot_turn(
        self, conv_id: str, intent: str | None, previous: str | None, person_involved: bool
    ) -> bool:
        """CSAT_MODE all: ask once per conversation when the bot resolved it by itself."""
        if self.mode != "all" or not bot_resolved(intent, previous, person_involved):
            return False
        if await self.redis.hget(keys.conversation(conv_id), "csat_asked_at"):
            return False
        await self.bus.emit(Event("bot_resolved", conv_id, {"intent": previous}))
        return await self.ask(conv_id, None)

    async def answer(self, conv_id: str, rating: int, comment: str) -> dict[str, Any]:
        """Store one answer per ask; reopen for a lead when it is bad."""
        key = keys.conversation(conv_id)
        if not await self.redis.exists(key):
            raise NotFound("unknown_conversation", f"no conversation {conv_id!r}")
        if not await self.redis.hget(key, "csat_asked_at"):
            raise Conflict("csat_not_asked", "this conversation was not asked for a rating")
        if not await self.redis.hsetnx(key, "csat_answered_at", f"{time.time():.3f}"):
            raise Conflict("csat_already_answered", "this rating was already given")
        meta = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in (await self.redis.hgetall(key)).items()
        }
        await self.redis.hset(key, mapping={"csat_rating": str(rating), "csat_comment": comment})
        agent = meta.get("csat_agent") or None
        await self.bus.emit(
            Event(
                "csat_answered",
                conv_id,
                {"rating": rating, "comment": comment or None, "agent": agent},
            )
        )
        reopened = should_reopen(rating, comment, meta.get("language") or "en")
        if reopened:
            detail = f"CSAT {rating}/5" + (f": “{comment[:120]}”" if comment else "")
            escalation = {
                "escalate": True,
                "score": 1.0,
                "priority": "high",
                "reasons": [{"code": "sentiment", "detail": detail}],
                "lead": True,
            }
            # to the leads' team, whatever team had it: the agent who closed it must not
            # be the one who picks the complaint about it up again
            await self.handoff.enqueue(conv_id, escalation, self.handoff.config.lead_team)
            await self.redis.publish(
                keys.channel(conv_id),
                json.dumps({"event": events.MODE, "mode": "queued", "agent_name": None}),
            )
        return {"conversation_id": conv_id, "rating": rating, "reopened": reopened}
