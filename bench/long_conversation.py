"""Cost per turn over one long conversation: p50 per 25-turn block up to 500 turns.

    .venv/bin/python bench/long_conversation.py [--turns 500] [--no-rotation]

Starts its own stack on free loopback ports and sends one shopper's conversation through the
gateway's REST API: a verified tracking chat, then the same questions again and again (a
shopper who keeps asking). `--no-rotation` runs the gateway with RASA_TRACKER_ROTATE_TURNS=0
(one Rasa tracker for the whole conversation) to show what rotation fixes. Prints a Markdown
table and writes bench/results/long_conversation[_no_rotation].json.
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
from shop.store import load_store  # noqa: E402

LOOP = ["where is my parcel?", "when will it arrive?", "does it run small?", "ok thanks"]


async def converse(url: str, turns: int, order_id: str, email: str) -> list[float]:
    conv = f"long{uuid.uuid4().hex[:10]}"
    script = [f"hi, where is my order {order_id}?", email] + LOOP * turns
    timings: list[float] = []
    async with aiohttp.ClientSession() as session:
        headers: dict[str, str] = {}
        for text in script[:turns]:
            started = time.perf_counter()
            async with session.post(
                f"{url}/api/conversations/{conv}/messages", json={"text": text}, headers=headers
            ) as resp:
                body = await resp.json()
                if resp.status != 200:
                    raise RuntimeError(f"turn {len(timings) + 1}: HTTP {resp.status}")
                if "conversation_token" in body:  # the first reply: later turns send it back
                    headers = {"X-Conversation-Token": body["conversation_token"]}
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--no-rotation", action="store_true")
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="bench-long-"))
    env = {"RASA_TRACKER_ROTATE_TURNS": "0"} if args.no_rotation else {}
    stack = Stack.ephemeral(var, model=ensure_model(), extra_env=env)
    try:
        stack.start()
        store = load_store(var / "shop" / "sample_store.json")
        order = next(o for o in store.all_orders() if o.shipment is not None)
        timings = asyncio.run(converse(stack.gateway_url, args.turns, order.order_id, order.email))
    finally:
        stack.stop()
    blocks = [timings[i : i + 25] for i in range(0, len(timings), 25)]
    rows = [
        {"turns": f"{i * 25 + 1}-{i * 25 + len(b)}", "p50_ms": round(statistics.median(b), 1)}
        for i, b in enumerate(blocks)
    ]
    first = statistics.median(timings[:10])
    last = statistics.median(timings[-10:])
    print("| turns | p50 ms |\n|---|---:|")
    for row in rows:
        print(f"| {row['turns']} | {row['p50_ms']} |")
    print(f"\nturns 1-10 p50 {first:.1f} ms, last 10 p50 {last:.1f} ms, ratio {last / first:.2f}")
    out = (
        ROOT
        / "bench"
        / "results"
        / ("long_conversation_no_rotation.json" if args.no_rotation else "long_conversation.json")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"turns": args.turns, "rotation": not args.no_rotation, "blocks": rows,
             "first10_p50_ms": round(first, 1), "last10_p50_ms": round(last, 1)},
            indent=2,
        )
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
