"""A stalled parcel is told once and only once across gateways: real processes (each opens
the sample store itself, at its own moment, as a gateway does), one real Redis.

Gateway A scans and goes away; one parcel stalls (`make demo-stall`'s step); gateway B,
started later, scans: it tells the stalled parcel and nothing A told already; gateway C
after it tells nothing. This holds because the launcher gives every child one store clock
(`SHOP_NOW`): without it each process would date the same problem differently and B would
tell every recent problem a second time."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from handoff import keys
from handoff.dev.launcher import ROOT, Stack
from shop.demo_orders import stall

GATEWAY_PASS = """
import asyncio, json, sys
from redis.asyncio import Redis
from handoff.conversations.store import ConversationStore
from handoff.notices.watcher import NoticeWatcher

async def main():
    redis = Redis.from_url(sys.argv[1])
    watcher = NoticeWatcher(redis, ConversationStore(redis, 86400), sys.argv[2])
    print(json.dumps(await watcher.scan_once()))
    await redis.close()

asyncio.run(main())
"""


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.close()


def gateway_pass(redis_url: str, name: str, env: dict[str, str]) -> list[dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, "-c", GATEWAY_PASS, redis_url, name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


async def test_a_stalled_parcel_is_told_once_across_gateways(
    redis: Redis, redis_url: str, sample_store: Path, tmp_path: Path
) -> None:
    shop = tmp_path / "sample_store.json"
    shutil.copy(sample_store, shop)
    launcher = Stack(var=tmp_path / "var")  # every child gets the launcher's environment
    env = {**launcher.env(), "SHOP_DATA": str(shop)}
    assert env["SHOP_NOW"] == launcher.env()["SHOP_NOW"]  # one clock, however often asked
    told_a = gateway_pass(redis_url, "gw-a", env)
    assert told_a  # the sample store has recent problems: A tells them
    time.sleep(1.1)  # B opens the store at another moment than A did

    done = stall(shop)
    told_b = gateway_pass(redis_url, "gw-b", env)
    assert [(t["order_id"], t["kind"]) for t in told_b] == [(done.order_id, "stalled")]
    assert told_b[0]["language"] == done.language and told_b[0]["channel"] == "email"
    assert gateway_pass(redis_url, "gw-c", env) == []

    outbox = [json.loads(x) for x in await redis.lrange(keys.NOTICE_OUTBOX, 0, -1)]
    assert [m["order_id"] for m in outbox].count(done.order_id) == 1
    ids = [m["notice_id"] for m in outbox]
    assert len(ids) == len(set(ids))
