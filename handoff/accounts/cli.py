"""Manage staff accounts from a shell.

    python -m handoff.accounts.cli add lena --name Lena --languages de,en --teams general \
        --roles agent,trainer --password-stdin
    python -m handoff.accounts.cli list
    python -m handoff.accounts.cli demo   # the demo accounts in handoff/dev/demo_accounts.yml
"""

from __future__ import annotations

import argparse
import getpass
import sys

from redis.asyncio import Redis

from handoff.accounts.store import Account, AccountError, AccountStore


def main(argv: list[str] | None = None) -> int:
    import asyncio
    import os

    parser = argparse.ArgumentParser(description="manage agent/trainer accounts")
    sub = parser.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add")
    add.add_argument("login")
    add.add_argument("--name", required=True)
    add.add_argument("--languages", default="en")
    add.add_argument("--teams", default="general")
    add.add_argument("--roles", default="agent")
    add.add_argument("--password-stdin", action="store_true")
    sub.add_parser("list")
    sub.add_parser("demo")
    args = parser.parse_args(argv)
    redis = Redis.from_url(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6390/0")

    async def run() -> int:
        store = AccountStore(redis)
        if args.cmd == "add":
            password = (
                sys.stdin.readline().rstrip("\n")
                if args.password_stdin
                else getpass.getpass("password: ")
            )
            split = lambda s: tuple(x.strip() for x in s.split(",") if x.strip())  # noqa: E731
            await store.save(
                Account(
                    args.login,
                    args.name,
                    split(args.languages),
                    split(args.teams),
                    split(args.roles),
                ),
                password,
            )
            print(f"saved {args.login}")
        elif args.cmd == "list":
            for a in await store.all():
                print(
                    f"{a.login:12} {a.name:16} {','.join(a.languages):10} "
                    f"{','.join(a.teams):20} {','.join(a.roles)}"
                )
        else:
            from handoff.dev.demo import seed_demo

            for a in await seed_demo(redis):
                print(f"demo account {a.login} ({a.name}: {', '.join(a.languages)})")
        return 0

    try:
        return asyncio.run(run())
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
