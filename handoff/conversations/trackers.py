"""Which Rasa tracker a conversation talks to: rotated so long conversations stay fast."""

from __future__ import annotations

import logging
import os
import time

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
