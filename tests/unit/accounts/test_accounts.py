"""Accounts and sessions on real Redis; login API role checks are in the stack tests."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from handoff.accounts.store import (
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
