"""Stopping background tasks for good.

redis-py 4.x (the line Rasa pins) reads replies under `async_timeout`, which can swallow a
`CancelledError` that lands at the moment its own timeout fires (redis/redis-py#2551,
aio-libs/async-timeout#229). A listener loop around `get_message(timeout=...)` or a
blocking XREADGROUP then takes the cancel for a timeout and carries on, and a shutdown that
cancelled once and awaited the task waits forever. `stop_tasks` cancels again until every
task has finished.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

LOG = logging.getLogger("handoff.tasks")


async def stop_tasks(tasks: Iterable[asyncio.Task[object]], every_s: float = 0.5) -> None:
    """Cancel the tasks and wait until all are done, cancelling again every `every_s`."""
    pending = {t for t in tasks if not t.done()}
    rounds = 0
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=every_s)
        rounds += 1
        if pending and rounds == 4:
            LOG.warning("tasks_slow_to_stop", extra={"tasks": [t.get_name() for t in pending]})
    for task in tasks:  # retrieve outcomes, so none is reported as never retrieved
        if task.done() and not task.cancelled():
            task.exception()
