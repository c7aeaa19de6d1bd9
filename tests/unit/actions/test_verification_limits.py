"""Order verification under attack: what a guesser gets per hour, and the owner always in.

Runs the real `action_inform` against the sample store with both state backends - in
memory and a real Redis - on a clock the test moves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from actions.clients import redis_state
from actions.verification import ActionInform
from tests.conftest import ent, make_tracker, order_where, run_action, slot_events, texts


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def state(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if request.param == "memory":
        backend: redis_state.ActionState = redis_state.MemoryState()
    else:
        url = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushdb()
        backend = redis_state.RedisState(url)
    backend.clock = Clock()
    monkeypatch.setattr(redis_state, "state", lambda: backend)
    yield backend


def attempt(order_id: str, email: str, client: str, conv: str | None = None) -> tuple[Any, str]:
    tracker = make_tracker(
        "x",
        "inform",
        [ent("order_id", order_id), ent("email", email)],
        slots={"pending_request": "track_order"},
        metadata={"client_address": client},
        sender=conv or "c" + uuid.uuid4().hex[:10],
    )
    events, messages = run_action(ActionInform(), tracker)
    return slot_events(events), texts(messages)


def verified(result: tuple[Any, str]) -> bool:
    return "verified_order" in result[0]


def locked(result: tuple[Any, str]) -> bool:
    return "security" in result[1]  # verify_locked: "For your security ..."


def wrong_guesses_until_locked(order_id: str, client: str, limit: int = 100) -> int:
    """Wrong emails from one address, a new conversation each time, until refused."""
    for n in range(limit):
        if locked(attempt(order_id, f"guess{uuid.uuid4().hex[:6]}@example.com", client)):
            return n
    return limit


def test_one_address_rotating_conversations_gets_20_guesses_an_hour(state, store) -> None:
    orders = [o for o in store.all_orders()][:25]
    tries = 0
    for n, order in enumerate(orders):  # new order and email each time: the address limit
        result = attempt(order.order_id, f"nobody{n}@example.com", "203.0.113.7")
        if locked(result):
            break
        tries += 1
    assert tries == 19  # the 20th failure itself is answered with the lock
    # the right pair from that address is refused too, for the hour ...
    mine = orders[-1]
    assert locked(attempt(mine.order_id, mine.email, "203.0.113.7"))
    state.clock.now += 3601  # ... and accepted once the window has slid past
    assert verified(attempt(mine.order_id, mine.email, "203.0.113.7"))


def test_strangers_failures_never_lock_the_owner_out(state, store) -> None:
    order = order_where(store, "delivered")
    for n in range(40):  # 40 addresses hammering one order
        attempt(order.order_id, f"guess{n}@example.com", f"198.51.100.{n}")
    assert verified(attempt(order.order_id, order.email, "192.0.2.1"))


def test_once_an_order_is_under_attack_each_new_address_gets_one_guess(state, store) -> None:
    order = order_where(store, "delivered")
    first = wrong_guesses_until_locked(order.order_id, "198.51.100.1")
    assert first == 9  # the order's limit (10) is reached by the first address's 10th miss
    later = [wrong_guesses_until_locked(order.order_id, f"198.51.100.{n}") for n in range(2, 12)]
    assert later == [0] * 10  # one miss each, answered with the lock
    # an hour later the order's window is empty again
    state.clock.now += 3601
    assert wrong_guesses_until_locked(order.order_id, "198.51.100.99") == 9


def test_one_conversation_still_locks_after_five_misses(state, store) -> None:
    order = order_where(store, "delivered")
    results = [
        attempt(order.order_id, f"g{n}@example.com", "192.0.2.50", conv="same") for n in range(5)
    ]
    assert [locked(r) for r in results] == [False] * 4 + [True]
    assert locked(attempt(order.order_id, order.email, "192.0.2.50", conv="same"))
    # the same shopper in a new chat from that address is not locked (4 < 20 there)
    assert verified(attempt(order.order_id, order.email, "192.0.2.50"))


def test_a_client_address_in_metadata_is_a_digest_in_redis(store, redis_url) -> None:
    state = redis_state.RedisState(redis_url)
    state.add_failure("client:203.0.113.9")
    state.add_failure("email:someone@example.com")
    names = [k for k in state.redis.keys("*verify*")]
    assert names and not any("203.0.113.9" in k or "someone@" in k for k in names)
