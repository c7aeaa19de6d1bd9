"""Child processes of the trainer (rasa train, eval_nlu.py): environment, stopping, progress.

They run out of the gateway's process, so Rasa and TensorFlow never load into it.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from handoff.trainer.paths import REPO

Emit = Callable[[dict[str, Any]], Awaitable[None]]  # sends one progress event of a job


def subprocess_env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "RASA_TELEMETRY_ENABLED": "false",
        "RASA_MAX_CACHE_SIZE": "0",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


def kill_group(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
