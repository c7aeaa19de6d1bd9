"""Bot reply latency and throughput through the gateway and directly against Rasa's REST
webhook, in the same run, at 1, 10 and 50 concurrent conversations.

    .venv/bin/python bench/latency.py [--messages 300] [--levels 1,10,50]

Starts its own stack on free loopback ports (embedded Redis, Rasa, action server, gateway)
with the current model, sends a bounded number of requests, prints a Markdown table and
writes bench/results/latency.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handoff.dev.launcher import Stack, ensure_model  # noqa: E402
from shop.routes import percentile  # noqa: E402

# One shopper's turns, cycled: greeting, question, order number, email (a real lookup).
SCRIPT = ["hi there", "where is my parcel?", "{order_id}", "{email}", "thanks!"]


def turns(order: dict) -> list[str]:
    return [t.format(**order) for t in SCRIPT]


async def one_level(url_for, body_for, concurrency: int, total: int, orders: list[dict]) -> dict:
    latencies: list[float] = []
    errors = 0
    per_conv = max(1, total // concurrency)

    async def conversation(session: aiohttp.ClientSession, idx: int) -> None:
        """One virtual shopper: back-to-back five-turn conversations (real chats are short;
        a single 300-turn conversation would measure Rasa's cost of huge trackers)."""
        nonlocal errors
        script = turns(orders[idx % len(orders)])
        conv, token = "", ""
        for i in range(per_conv):
            if i % len(script) == 0:
                conv, token = f"b{uuid.uuid4().hex[:12]}", ""
            text = script[i % len(script)]
            started = time.perf_counter()
            headers = {"X-Conversation-Token": token} if token else {}
            try:
                async with session.post(
                    url_for(conv), json=body_for(conv, text), headers=headers
                ) as resp:
                    raw = await resp.read()
                    if resp.status != 200:
                        errors += 1
                        continue
                    if not token and b"conversation_token" in raw:
                        token = json.loads(raw)["conversation_token"]
            except aiohttp.ClientError:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=concurrency + 5)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        wall = time.perf_counter()
        await asyncio.gather(*(conversation(session, i) for i in range(concurrency)))
        wall = time.perf_counter() - wall
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
        "throughput_rps": round(len(latencies) / wall, 1),
    }


async def run(stack: Stack, levels: list[int], total: int, orders: list[dict]) -> dict:
    gateway = stack.gateway_url
    rasa = stack.rasa_url
    results: dict = {"gateway": [], "rasa_direct": []}
    # warm both paths
    await one_level(
        lambda c: f"{rasa}/webhooks/rest/webhook",
        lambda c, t: {"sender": c, "message": t, "metadata": {"language": "en"}},
        2,
        20,
        orders,
    )
    for level in levels:
        for name, url_for, body_for in (
            (
                "rasa_direct",
                lambda c: f"{rasa}/webhooks/rest/webhook",
                lambda c, t: {"sender": c, "message": t, "metadata": {"language": "en"}},
            ),
            (
                "gateway",
                lambda c: f"{gateway}/api/conversations/{c}/messages",
                lambda c, t: {"text": t, "metadata": {"locale": "en-US"}},
            ),
        ):
            res = await one_level(url_for, body_for, level, total, orders)
            results[name].append(res)
            print(
                f"  {name:12s} c={level:<3d} p50={res['p50_ms']:7.1f} ms  "
                f"p95={res['p95_ms']:7.1f}  p99={res['p99_ms']:7.1f}  "
                f"{res['throughput_rps']:6.1f} req/s  errors={res['errors']}",
                flush=True,
            )
    return results


def table(results: dict) -> str:
    rows = [
        "| concurrent | path | p50 ms | p95 ms | p99 ms | req/s | overhead p50 |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for gw, direct in zip(results["gateway"], results["rasa_direct"], strict=True):
        ratio = gw["p50_ms"] / direct["p50_ms"] - 1 if direct["p50_ms"] else 0
        rows.append(
            f"| {direct['concurrency']} | Rasa webhook (direct) | {direct['p50_ms']} | "
            f"{direct['p95_ms']} | {direct['p99_ms']} | {direct['throughput_rps']} | |"
        )
        rows.append(
            f"| {gw['concurrency']} | gateway | {gw['p50_ms']} | {gw['p95_ms']} | "
            f"{gw['p99_ms']} | {gw['throughput_rps']} | {ratio:+.0%} |"
        )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300, help="requests per level and path")
    parser.add_argument("--levels", default="1,10,50")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    model = ensure_model()
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        stack = Stack.ephemeral(var, model=model)
        try:
            stack.start()
            from shop.store import load_store

            store = load_store(var / "shop" / "sample_store.json")
            orders = [
                {"order_id": o.order_id, "email": o.email}
                for o in store.all_orders()
                if o.status == "shipped"
            ][:60]
            results = asyncio.run(run(stack, levels, args.messages, orders))
        finally:
            stack.stop()
    out = ROOT / "bench" / "results" / "latency.json"
    out.write_text(
        json.dumps(
            {"levels": levels, "messages_per_level": args.messages, "results": results}, indent=2
        )
    )
    print()
    print(table(results))
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
