"""Loading a model into every Rasa worker: `PUT /model` rounds until all of them run it.

Rasa's server runs several Sanic workers (two by default), each with its own model,
sharing one listening socket; a request reaches one worker, and not a random one: an idle
worker that just answered tends to take the next connection too, so "poll /status until
it looks right" can see one worker only. What is reliable: loading a model blocks the
loading worker's event loop, and a blocked worker accepts no connections. So each round
sends a PUT (one worker reloads the new model, harmlessly) and, while it loads, asks
/status on fresh connections: only the other workers can answer. A stale answer gets a
PUT of its own, which can only reach a worker that is not busy, i.e. a stale one. Two
rounds in a row with only new answers, and enough of them, confirm: a small model loads in
a few tens of milliseconds, so one round may catch only one or two answers, and the
answers of the rounds in a row add up. A server where nobody else ever answers is a single
worker. The result says honestly whether it was confirmed.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp

from handoff.errors import InputError
from handoff.rasa_client import with_token

CONFIRM_ROUNDS = 2  # rounds in a row in which only the new model answered
CONFIRM_ANSWERS = 6  # new answers from the not-busy workers those rounds need in all
EMPTY_ROUNDS = 3  # rounds in a row nobody else answered in, and never anyone: one worker
MAX_ROUNDS = 40
SETTLE_S = 0.03  # Sanic reads the PUT and starts loading within a few ms
CONFIRM_POLLS = 8  # a last look on fresh connections
POLL_GAP_S = 0.02
ACTIVATE_DEADLINE_S = 300


async def load_everywhere(rasa_url: str, path: Path, token: str = "") -> dict[str, Any]:
    """PUT the model until every worker runs it; see the module docstring."""
    stats = {"puts": 0, "polls": 0, "rounds": 0, "stale_answers": 0, "other_worker_answers": 0}
    streak = streak_answers = empty_rounds = 0

    def seen_all() -> bool:  # rounds in a row with only new answers, and enough of them
        return streak >= CONFIRM_ROUNDS and streak_answers >= CONFIRM_ANSWERS

    def single() -> bool:  # nobody but the loading worker ever answered
        return empty_rounds >= EMPTY_ROUNDS and stats["other_worker_answers"] == 0

    deadline = time.monotonic() + ACTIVATE_DEADLINE_S
    # a fresh connection per request: keep-alive would pin every request to one worker
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(force_close=True),
        timeout=aiohttp.ClientTimeout(total=180),
    ) as session:

        async def put() -> None:
            stats["puts"] += 1
            async with session.put(
                with_token(f"{rasa_url}/model", token), json={"model_file": str(path)}
            ) as resp:
                if resp.status not in (200, 204):
                    body = (await resp.text())[:300]
                    raise InputError(
                        502,
                        "rasa_refused",
                        f"Rasa did not load {path.name} ({resp.status}): {body}",
                    )

        async def current() -> str | None:
            stats["polls"] += 1
            try:
                async with session.get(with_token(f"{rasa_url}/status", token)) as resp:
                    return (await resp.json()).get("model_file") if resp.status == 200 else None
            except (aiohttp.ClientError, TimeoutError, ValueError):
                return None

        await put()  # one worker runs it now
        while (
            not seen_all()
            and not single()
            and stats["rounds"] < MAX_ROUNDS
            and time.monotonic() < deadline
        ):
            stats["rounds"] += 1
            # the worker that takes this PUT is busy loading and accepts nothing, so
            # the status requests meanwhile are answered by the other workers
            blocker = asyncio.create_task(put())
            await asyncio.sleep(SETTLE_S)
            fresh, stale = 0, False
            while not blocker.done():
                name = await current()
                if blocker.done():
                    break  # the loading worker may have answered this one
                if name == path.name:
                    fresh += 1
                    await asyncio.sleep(POLL_GAP_S)  # a sample, not a load test
                    continue
                stale = True
                stats["stale_answers"] += 1
                await put()  # reaches a worker that is not busy: a stale one
                break
            await blocker
            stats["other_worker_answers"] += fresh
            if stale:
                streak = streak_answers = empty_rounds = 0
            elif fresh:
                streak, streak_answers, empty_rounds = streak + 1, streak_answers + fresh, 0
            else:
                empty_rounds += 1  # nobody else answered while one worker was busy
        finals = [await current() for _ in range(CONFIRM_POLLS)]
    all_new = all(name == path.name for name in finals)
    return {
        "confirmed": all_new and (seen_all() or single()),
        "single_worker": single(),
        **stats,
    }
