"""One turn with the bot: which Rasa tracker (rotated so long conversations stay fast), the
call, and what happens when the bot can't answer (degraded reply, queued for a person)."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

from bot import copy
from handoff.conversations.model import Conversation
from handoff.rasa_client import RasaClient, RasaUnavailable

LOG = logging.getLogger("handoff.conversations")
# events on one Rasa tracker before the conversation moves to a fresh one (bench:
# bench/long_conversation.py shows the cost per turn growing with the tracker without it)
# (RASA_TRACKER_ROTATE_TURNS=0 never rotates: the benchmark's "before")
ROTATE_AFTER_TURNS = int(os.environ.get("RASA_TRACKER_ROTATE_TURNS", "40"))


async def current(rasa: RasaClient, conv: Conversation) -> tuple[str, int]:
    """The Rasa tracker for this turn. Rasa's cost per turn grows with the tracker (it
    loads, runs policies over and saves every event), so after ROTATE_AFTER_TURNS events
    the conversation moves to a fresh tracker that starts with the old one's slots; the
    gateway's transcript keeps the whole conversation."""
    sender = conv.rasa_sender or conv.conversation_id
    if not ROTATE_AFTER_TURNS or conv.rasa_turns < ROTATE_AFTER_TURNS:
        return sender, conv.rasa_turns
    fresh = f"{conv.conversation_id}~{int(time.time() * 1000):x}"
    try:
        await rasa.carry_over(sender, fresh)
    except RasaUnavailable:
        return sender, conv.rasa_turns  # try again next turn
    LOG.info(
        "rasa_tracker_rotated",
        extra={
            "conversation_id": conv.conversation_id,
            "tracker": fresh,
            "turns": conv.rasa_turns,
        },
    )
    return fresh, 0


BOT_DOWN_DETAIL = "the bot could not answer (Rasa or the action server is down or slow)"


@dataclass
class BotTurn:
    """What Rasa said about one message."""

    replies: list[dict[str, Any]] = field(default_factory=list)
    nlu: dict[str, Any] = field(default_factory=dict)
    order: dict[str, Any] = field(default_factory=dict)
    handoff_reason: str | None = None
    handoff_detail: str | None = None
    sender: str | None = None  # the Rasa tracker that answered
    sender_turns: int = 0
    degraded: bool = False
    ms: float = 0.0


# what the action server may read of a turn's metadata; `client_address` is set by the
# gateway (requests.client_address), overwriting anything a client sent under that name
RASA_METADATA = frozenset({"locale", "customer_token", "page", "client_address", "channel"})


async def ask_bot(
    rasa: RasaClient, conv: Conversation, bot_text: str, bot_lang: str, metadata: dict[str, Any]
) -> BotTurn:
    conv_id = conv.conversation_id
    turn = BotTurn()
    rasa_meta = {k: v for k, v in metadata.items() if k in RASA_METADATA}
    rasa_meta["language"] = bot_lang
    started = time.perf_counter()
    try:
        turn.sender, turns = await current(rasa, conv)
        turn.sender_turns = turns + 1
        raw = await rasa.send(turn.sender, bot_text, rasa_meta)
        if not raw and not await rasa.action_server_ok():
            # Rasa answers 200 with no replies when its action server is gone
            raise RasaUnavailable("the action server is not answering")
    except RasaUnavailable as exc:
        # The promise "a colleague will answer here" is kept by queueing the chat for a
        # person right away (reason bot_failure); the message is already in the transcript.
        LOG.error("bot_unavailable", extra={"conversation_id": conv_id, "error": str(exc)})
        raw = [{"text": copy.render("bot_down", bot_lang)}]
        turn.degraded = True
        turn.handoff_reason = "bot_failure"
        turn.handoff_detail = BOT_DOWN_DETAIL
    turn.ms = round((time.perf_counter() - started) * 1000, 1)
    for item in raw:
        custom = item.get("custom") or {}
        turn.order = custom.get("order", turn.order)
        turn.nlu = custom.get("nlu", turn.nlu)
        if "handoff" in custom:
            turn.handoff_reason = custom["handoff"].get("reason", "human")
        if item.get("text"):
            reply = {"text": item["text"]}
            if item.get("buttons"):
                reply["buttons"] = item["buttons"]
            turn.replies.append(reply)
    return turn
