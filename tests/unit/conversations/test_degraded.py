"""When the bot can't answer (Rasa down, slow or erroring, the action server gone), the
shopper is told so in their language and the chat is queued for a person (bot_failure).

Rasa is stood in for by a local HTTP server (unit level); the real-process versions of these
faults are in tests/stack/test_faults.py.
"""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bot import copy
from handoff.conversations.pipeline import Conversations
from handoff.rasa_client import RasaUnavailable
from handoff.routing.queue import HandoffStore
from tests.unit.conversations.conftest import FakeRasa, ask


@pytest.mark.parametrize("mode", ["error", "slow", "empty"])
async def test_bot_trouble_is_told_in_the_shoppers_language_and_queued(
    setup: tuple[FakeRasa, Conversations, Redis], mode: str
) -> None:
    fake, conversations, redis = setup
    fake.mode = mode
    fake.action_server_up = mode != "empty"
    result = await ask(conversations, f"deg-{mode}", "Wo ist mein Paket? Bestellung XB-204518")
    assert result["degraded"] is True
    assert result["language"] == "de"
    assert result["replies"][0]["text"] == copy.render("bot_down", "de")
    assert result["mode"] == "queued"
    assert result["escalation"]["reasons"][0]["code"] == "bot_failure"
    queued = await HandoffStore(redis).queued()
    assert [q["conversation_id"] for q in queued] == [f"deg-{mode}"]


async def test_empty_reply_with_a_healthy_action_server_is_not_an_outage(
    setup: tuple[FakeRasa, Conversations, Redis],
) -> None:
    fake, conversations, _ = setup
    fake.mode = "empty"
    result = await ask(conversations, "deg-quiet", "ok")
    assert result["degraded"] is False and result["mode"] == "bot"


async def test_a_healthy_bot_answers_normally(
    setup: tuple[FakeRasa, Conversations, Redis],
) -> None:
    _, conversations, _ = setup
    result = await ask(conversations, "deg-fine", "Wo ist mein Paket?")
    assert result["replies"] == [{"text": "Your parcel is in Leipzig."}]
    assert result["mode"] == "bot" and not result["degraded"]


async def test_a_timeout_is_rasa_unavailable_not_a_crash(
    setup: tuple[FakeRasa, Conversations, Redis],
) -> None:
    fake, conversations, _ = setup
    fake.mode = "slow"
    with pytest.raises(RasaUnavailable):
        await conversations.rasa.send("deg-timeout", "hello", {})
