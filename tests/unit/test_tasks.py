"""stop_tasks ends a task even when a cancel is swallowed (as redis-py 4's async_timeout
can do when the cancel lands as its own timeout fires), where cancel-once-and-await hangs."""

from __future__ import annotations

import asyncio

from handoff.tasks import stop_tasks


async def swallows_the_first_cancel(seen: list[str]) -> None:
    swallowed = False
    while True:
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            if swallowed:
                seen.append("stopped")
                raise
            swallowed = True  # taken for a timeout: the loop goes on
            seen.append("swallowed")


async def test_a_swallowed_cancel_still_stops_the_task() -> None:
    seen: list[str] = []
    task = asyncio.create_task(swallows_the_first_cancel(seen))
    await asyncio.sleep(0.1)
    await asyncio.wait_for(stop_tasks([task], every_s=0.1), timeout=5)
    assert task.cancelled() and seen == ["swallowed", "stopped"]


async def test_cancel_once_and_await_would_have_hung() -> None:
    seen: list[str] = []
    task = asyncio.create_task(swallows_the_first_cancel(seen))
    await asyncio.sleep(0.1)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=0.5)
    assert not done and seen == ["swallowed"]  # the old shutdown would wait here for ever
    await stop_tasks([task])


async def test_finished_and_failed_tasks_are_fine() -> None:
    async def fail() -> None:
        raise RuntimeError("boom")

    ok = asyncio.create_task(asyncio.sleep(0))
    bad = asyncio.create_task(fail())
    await asyncio.sleep(0.01)
    await stop_tasks([ok, bad])  # no hang, and no "exception never retrieved" warning
    assert ok.done() and isinstance(bad.exception(), RuntimeError)
