"""The demo team for `make run` and the tests (passwords are in the YAML file: demo only)."""

from __future__ import annotations

from pathlib import Path

import yaml
from redis.asyncio import Redis

from handoff.accounts.store import Account, AccountStore

DEMO_FILE = Path(__file__).with_name("demo_accounts.yml")


def demo_accounts() -> list[tuple[Account, str]]:
    """The demo team for `make run` and the tests (passwords are in the file: demo only)."""
    doc = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    out = []
    for item in doc["accounts"]:
        out.append(
            (
                Account(
                    login=item["login"],
                    name=item["name"],
                    languages=tuple(item["languages"]),
                    teams=tuple(item["teams"]),
                    roles=tuple(item["roles"]),
                ),
                str(item["password"]),
            )
        )
    return out


async def seed_demo(redis: Redis) -> list[Account]:
    store = AccountStore(redis)
    done = []
    for account, password in demo_accounts():
        await store.save(account, password)
        done.append(account)
    return done
