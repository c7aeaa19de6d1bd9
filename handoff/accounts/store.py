"""People who log in to the gateway's pages: agents, trainers, admins.

Accounts live in Redis (hash per login, scrypt password hashes); sessions are random
tokens in Redis with a TTL, carried in an HttpOnly cookie (or a Bearer header for tools).
Shell: `python -m handoff.accounts.cli`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from redis.asyncio import Redis

from handoff import keys

ROLES = ("agent", "trainer", "lead", "admin")
SESSION_TTL_S = 12 * 3600
MAX_LOGIN_FAILURES = 10  # per account and client address, 15 minutes
MAX_CLIENT_FAILURES = 30  # per client address over all accounts, 15 minutes
HASH_CONCURRENCY = 2  # scrypt threads at once (2 cores; ~40 ms and 16 MB each)
_SLOTS: asyncio.Semaphore | None = None


def _hash_slots() -> asyncio.Semaphore:
    global _SLOTS
    if _SLOTS is None:
        _SLOTS = asyncio.Semaphore(HASH_CONCURRENCY)
    return _SLOTS


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(12))


LOGIN_LOCK_S = 900
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    return (
        f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}$"
        f"{b64(salt).decode()}${b64(digest).decode()}"
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), dklen=32, n=int(n), r=int(r), p=int(p)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


@dataclass(frozen=True)
class Account:
    login: str
    name: str
    languages: tuple[str, ...] = ("en",)
    teams: tuple[str, ...] = ("general",)
    roles: tuple[str, ...] = ("agent",)

    @property
    def language(self) -> str:
        """The language the console is shown in and agent messages are written in."""
        return self.languages[0] if self.languages else "en"

    def has(self, role: str) -> bool:
        return role in self.roles or "admin" in self.roles

    def public(self) -> dict[str, Any]:
        return {**asdict(self), "language": self.language}


def _decode(raw: dict[Any, Any]) -> dict[str, str]:
    return {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in raw.items()
    }


class AccountError(ValueError):
    pass


class AccountStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def save(self, account: Account, password: str | None = None) -> None:
        if not LOGIN_RE.match(account.login):
            raise AccountError("login: 2-40 of a-z 0-9 . _ -, starting with a letter or digit")
        bad = [r for r in account.roles if r not in ROLES]
        if bad:
            raise AccountError(f"unknown roles {bad}; roles are {', '.join(ROLES)}")
        fields: dict[str | bytes, bytes | float | int | str] = {
            "name": account.name,
            "languages": json.dumps(list(account.languages)),
            "teams": json.dumps(list(account.teams)),
            "roles": json.dumps(list(account.roles)),
        }
        if password is not None:
            if len(password) < 8:
                raise AccountError("passwords have at least 8 characters")
            fields["password_hash"] = hash_password(password)
        elif not await self.redis.hexists(keys.account(account.login), "password_hash"):
            raise AccountError("a new account needs a password")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.account(account.login), mapping=fields)
            pipe.sadd(keys.ACCOUNTS, account.login)
            await pipe.execute()

    async def get(self, login: str) -> Account | None:
        raw = _decode(await self.redis.hgetall(keys.account(login)))
        if not raw:
            return None
        return Account(
            login=login,
            name=raw.get("name", login),
            languages=tuple(json.loads(raw.get("languages", '["en"]'))),
            teams=tuple(json.loads(raw.get("teams", '["general"]'))),
            roles=tuple(json.loads(raw.get("roles", '["agent"]'))),
        )

    async def all(self) -> list[Account]:
        logins = sorted(
            x.decode() if isinstance(x, bytes) else x
            for x in await self.redis.smembers(keys.ACCOUNTS)
        )
        found = [await self.get(login) for login in logins]
        return [a for a in found if a is not None]

    async def authenticate(
        self, login: str, password: str, client: str = "local"
    ) -> Account | None:
        """The account when the password is right; None otherwise (same for unknown logins).

        Failures count per (account, client address) and per client address, never per
        account alone, so a stranger guessing from elsewhere can't lock an agent out. Raises
        AccountError when this client is locked. scrypt runs in a thread, at most
        HASH_CONCURRENCY at a time, so logins never stall the event loop (shopper replies)."""
        pair, anyone = keys.login_failures(login, client), keys.client_login_failures(client)
        pair_n, client_n = await self.redis.mget(pair, anyone)
        if int(pair_n or 0) >= MAX_LOGIN_FAILURES or int(client_n or 0) >= MAX_CLIENT_FAILURES:
            raise AccountError("too many failed logins; try again in 15 minutes")
        stored = await self.redis.hget(keys.account(login), "password_hash")
        stored_s = stored.decode() if isinstance(stored, bytes) else stored
        # an unknown login is checked against a dummy hash: same time, same answer
        async with _hash_slots():
            ok = await asyncio.to_thread(verify_password, password, stored_s or _dummy_hash())
        ok = ok and bool(stored_s)
        if not ok:
            async with self.redis.pipeline(transaction=True) as pipe:
                for key in (pair, anyone):
                    pipe.incr(key)
                    pipe.expire(key, LOGIN_LOCK_S)
                await pipe.execute()
            return None
        await self.redis.delete(pair)
        return await self.get(login)

    async def start_session(self, login: str, ttl_s: int = SESSION_TTL_S) -> str:
        token = secrets.token_urlsafe(32)
        key = keys.session(token)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"login": login, "created_at": str(time.time())})
            pipe.expire(key, ttl_s)
            await pipe.execute()
        return token

    async def session_account(self, token: str) -> Account | None:
        if not token or len(token) > 100:
            return None
        login = await self.redis.hget(keys.session(token), "login")
        if login is None:
            return None
        return await self.get(login.decode() if isinstance(login, bytes) else login)

    async def end_session(self, token: str) -> None:
        await self.redis.delete(keys.session(token))
