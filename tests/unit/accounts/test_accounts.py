"""Accounts and sessions on real Redis; login API role checks are in the stack tests."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from handoff.accounts.store import (
    MAX_CLIENT_FAILURES,
    Account,
    AccountError,
    AccountStore,
    hash_password,
    verify_password,
)
from handoff.dev.demo import seed_demo


def test_password_hash_round_trip_and_salted() -> None:
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b  # salted
    assert verify_password("correct horse", a)
    assert not verify_password("correct hors", a)
    assert not verify_password("anything", "not-a-hash")


async def test_accounts_sessions_and_lockout(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    store = AccountStore(redis)
    lena = Account("lena2", "Lena", ("de", "en"), ("general",), ("agent",))
    with pytest.raises(AccountError):
        await store.save(lena)  # no password for a new account
    with pytest.raises(AccountError):
        await store.save(lena, "short")
    with pytest.raises(AccountError):
        await store.save(Account("x y", "Bad"), "long enough pw")
    await store.save(lena, "a good password")
    assert (await store.get("lena2")) == lena
    assert await store.authenticate("lena2", "wrong password") is None
    assert await store.authenticate("nobody", "a good password") is None
    assert await store.authenticate("lena2", "a good password") == lena
    token = await store.start_session("lena2")
    assert (await store.session_account(token)) == lena
    assert await store.session_account("forged") is None
    await store.end_session(token)
    assert await store.session_account(token) is None
    for _ in range(10):
        await store.authenticate("lena2", "nope nope")
    with pytest.raises(AccountError):
        await store.authenticate("lena2", "a good password")
    seeded = await seed_demo(redis)
    assert {a.login for a in seeded} <= {a.login for a in await store.all()}
    await redis.close()


async def test_a_strangers_failures_do_not_lock_the_owner_out(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    store = AccountStore(redis)
    await store.save(Account("lena3", "Lena", ("de",), ("general",), ("agent",)), "pw of lena3")
    for _ in range(10):
        assert await store.authenticate("lena3", "guess", client="203.0.113.9") is None
    with pytest.raises(AccountError):  # the guesser is locked out ...
        await store.authenticate("lena3", "pw of lena3", client="203.0.113.9")
    # ... the owner, from her own address, is not
    assert await store.authenticate("lena3", "pw of lena3", client="198.51.100.7") is not None
    await redis.close()


async def test_one_client_guessing_many_accounts_is_capped(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    store = AccountStore(redis)
    for i in range(MAX_CLIENT_FAILURES):
        await store.authenticate(f"user{i}", "guess", client="203.0.113.50")
    with pytest.raises(AccountError):
        await store.authenticate("someone-else", "guess", client="203.0.113.50")
    await redis.close()


async def test_password_hashing_does_not_block_the_event_loop(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    store = AccountStore(redis)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    await asyncio.gather(*(store.authenticate("nobody", "x", client=f"c{i}") for i in range(8)))
    task.cancel()
    # 8 scrypt checks (~40 ms each) ran in threads: the loop kept ticking meanwhile
    assert ticks >= 10
    await redis.close()
