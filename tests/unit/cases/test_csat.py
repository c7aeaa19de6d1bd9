"""CSAT: answer validation, the reopen rule, and ask/answer once on a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from handoff import keys
from handoff.cases.csat import Csat, bot_resolved, check_answer, should_ask, should_reopen
from handoff.cases.events import Event
from handoff.errors import Conflict, InputError, NotFound
from handoff.routing.queue import HandoffStore


@pytest.mark.parametrize(
    "body",
    [{}, {"rating": 0}, {"rating": 6}, {"rating": "3"}, {"rating": 3.0}, {"rating": True},
     {"rating": 3, "comment": 5}, {"rating": 3, "comment": "x" * 1001}, []],
)  # fmt: skip
def test_bad_answers_are_refused(body: object) -> None:
    with pytest.raises(InputError):
        check_answer(body)


def test_good_answers_pass() -> None:
    assert check_answer({"rating": 1}) == (1, "")
    assert check_answer({"rating": 5, "comment": "  ok  "}) == (5, "ok")
    assert check_answer({"rating": 4, "comment": "x" * 1000})[0] == 4


def test_reopen_rule() -> None:
    assert should_reopen(1, "", "en") and should_reopen(2, "", "en")
    assert not should_reopen(3, "", "en")
    assert not should_reopen(4, "Thanks, that was quick and helpful", "en")
    angry = "This is TERRIBLE, USELESS SERVICE!!! Worst shop ever, a total scam"
    assert should_reopen(4, angry, "en")
    assert should_reopen(5, "Absolut schrecklich, eine Frechheit!!!", "de")


def test_modes() -> None:
    assert should_ask("agent", True) and not should_ask("agent", False)
    assert should_ask("all", False) and should_ask("all", True)
    assert not should_ask("off", True)


@pytest.fixture
async def aio(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.delete(
        keys.EVENTS_STREAM, keys.QUEUE, *(keys.conversation(c) for c in ("c1", "c2"))
    )
    yield client
    await client.close()


def _kinds(entries: list[tuple[bytes, dict[bytes, bytes]]]) -> list[Event]:
    return [Event.from_json(fields[b"event"]) for _, fields in entries]


async def test_answer_once_and_bad_one_requeued(aio: Redis) -> None:
    csat = Csat(aio, HandoffStore(aio), "agent")
    with pytest.raises(NotFound):
        await csat.answer("c-none", 3, "")
    await aio.hset(keys.conversation("c1"), mapping={"mode": "bot", "language": "en"})
    with pytest.raises(Conflict):  # not asked
        await csat.answer("c1", 3, "")
    assert not await csat.ask("c1", None)  # bot-resolved, mode agent: not asked
    assert await csat.ask("c1", "alice")
    result = await csat.answer("c1", 2, "slow")
    assert result["reopened"] is True
    with pytest.raises(Conflict):  # only once per close
        await csat.answer("c1", 5, "")
    meta = await aio.hgetall(keys.conversation("c1"))
    assert meta[b"mode"] == b"queued" and meta[b"csat_rating"] == b"2"
    assert b"sentiment" in meta[b"escalation"]
    assert await aio.zscore(keys.QUEUE, "c1") is not None
    events = _kinds(await aio.xrange(keys.EVENTS_STREAM))
    assert [e.kind for e in events] == ["csat_asked", "csat_answered"]
    assert events[1].data == {"rating": 2, "comment": "slow", "agent": "alice"}


async def test_good_answer_stays_closed(aio: Redis) -> None:
    csat = Csat(aio, HandoffStore(aio), "all")
    await aio.hset(keys.conversation("c2"), mapping={"mode": "bot", "language": "fr"})
    assert await csat.ask("c2", None)  # mode all: bot-resolved chats are asked too
    assert (await csat.answer("c2", 5, "Parfait, merci beaucoup"))["reopened"] is False
    assert await aio.zscore(keys.QUEUE, "c2") is None


def test_bot_resolved_rule() -> None:
    assert bot_resolved("thank", "track_order", person_involved=False)
    assert bot_resolved("goodbye", "refund_status", person_involved=False)
    assert not bot_resolved("thank", "greet", person_involved=False)  # nothing answered yet
    assert not bot_resolved("thank", "track_order", person_involved=True)  # an agent helped
    assert not bot_resolved("track_order", "track_order", person_involved=False)


async def test_bot_resolved_chat_asked_once_only_in_mode_all(aio: Redis) -> None:
    await aio.hset(keys.conversation("c1"), mapping={"mode": "bot", "language": "de"})
    agent_only = Csat(aio, HandoffStore(aio), "agent")
    assert not await agent_only.after_bot_turn("c1", "thank", "track_order", False)
    every = Csat(aio, HandoffStore(aio), "all")
    assert await every.after_bot_turn("c1", "thank", "track_order", False)
    assert not await every.after_bot_turn("c1", "goodbye", "track_order", False)  # once
    events = _kinds(await aio.xrange(keys.EVENTS_STREAM))
    assert [e.kind for e in events] == ["bot_resolved", "csat_asked"]
    assert events[1].data == {"agent": None}


async def test_a_reopened_case_waits_for_a_lead_not_for_the_agent_who_closed_it(
    aio: Redis,
) -> None:
    """Closed by a logistics agent, rated 1 with an angry comment: back in the queue in the
    leads' team with reason sentiment; the agent (same team, same language, the only one
    online) may not claim it, a lead may — in any language."""
    from handoff.accounts.store import Account, AccountStore
    from handoff.desk.views import routing_view

    handoff = HandoffStore(aio)
    accounts = AccountStore(aio)
    agent = Account("lena9", "Lena", ("de", "en"), ("general", "logistics"), ("agent",))
    lead = Account("nora9", "Nora", ("fr",), ("general",), ("lead",))
    for account in (agent, lead):
        await accounts.save(account, f"password of {account.login}")
    await handoff.set_status(agent.login, "available")
    await aio.hset(
        keys.conversation("c7"), mapping={"mode": "bot", "language": "de", "team": "logistics"}
    )
    csat = Csat(aio, handoff, "agent")
    assert await csat.ask("c7", agent.login)
    assert (await csat.answer("c7", 1, "Eine Frechheit!"))["reopened"] is True

    meta = await aio.hgetall(keys.conversation("c7"))
    assert meta[b"team"] == handoff.config.lead_team.encode() == b"leads"
    assert meta[b"mode"] == b"queued" and meta[b"priority"] == b"high"
    [item] = (await routing_view(handoff, accounts, agent))["items"]
    assert [r["code"] for r in item["reasons"]] == ["sentiment"]
    assert item["claimable"] is False and item["route_note"] == "for a lead"
    [for_lead] = (await routing_view(handoff, accounts, lead))["items"]
    assert for_lead["claimable"] is True and for_lead["needs_translation"] is True
