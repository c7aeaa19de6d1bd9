"""Trainer console job times: validate -> train -> evaluate (new and active) -> activate ->
roll back, for English only and for all languages, on the real stack.

    .venv/bin/python bench/trainer_job.py [--languages en] [--languages all]

Works on a temporary copy of data/ and a temporary models folder; starts its own stack
(Redis, Rasa with the usual two workers, action server, gateway) with the launcher's
model, and puts that model back at the end. Writes bench/results/trainer_job.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis.asyncio import Redis  # noqa: E402

from bot.language import NATIVE  # noqa: E402
from handoff import keys  # noqa: E402
from handoff.dev.launcher import Stack, ensure_model  # noqa: E402
from handoff.trainer.files import DataRoot  # noqa: E402
from handoff.trainer.jobs import TrainingJobs  # noqa: E402
from handoff.trainer.models import ModelRegistry  # noqa: E402


async def run_job(stack: Stack, root: Path, models: Path, langs: list[str]) -> dict[str, Any]:
    redis = Redis.from_url(stack.redis_url or "")
    for key in (keys.TRAINER_ACTIVATIONS, keys.TRAINER_LOCK):
        await redis.delete(key)
    registry = ModelRegistry(
        redis, models, stack.rasa_url, keep=5, token=stack.secrets()["RASA_TOKEN"]
    )
    jobs = TrainingJobs(redis, DataRoot(root), registry)
    job = await jobs.start(langs, "bench")
    while job["state"] not in {"ready", "failed", "cancelled", "interrupted"}:
        await asyncio.sleep(0.5)
        job = await jobs.get(job["id"])
    if job["state"] != "ready":
        raise SystemExit(f"job {job['state']}: {job.get('error')} {job.get('problems')}")
    started = time.perf_counter()
    activation = await registry.activate(job["result"]["model"], "bench")
    activate_s = time.perf_counter() - started
    started = time.perf_counter()
    rollback = await registry.rollback("bench")
    rollback_s = time.perf_counter() - started
    await redis.close()
    return {
        "languages": langs,
        "durations": job["durations"],
        "activate_s": round(activate_s, 1),
        "activate_puts": activation["puts"],
        "activate_confirmed": activation["confirmed"],
        "rollback_s": round(rollback_s, 1),
        "rollback_confirmed": rollback["confirmed"],
        "macro_f1": {
            lang: row["new"]["macro_f1"] for lang, row in job["result"]["comparison"].items()
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--languages", action="append", help="comma-separated languages or 'all' (repeatable)"
    )
    args = parser.parse_args()
    sets = [list(NATIVE) if s == "all" else s.split(",") for s in (args.languages or ["en", "all"])]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp) / "var"
        root = Path(tmp) / "root"
        shutil.copytree(ROOT / "data", root / "data")
        # a different fingerprint than the running model's, as after a trainer's edit
        with open(root / "data" / "nlu" / "en" / "smalltalk.yml", "a") as fh:
            fh.write("# bench copy\n")
        stack = Stack.ephemeral(var, model=ensure_model())
        try:
            stack.start()
            for langs in sets:
                result = asyncio.run(run_job(stack, root, Path(tmp) / "models", langs))
                print(json.dumps(result))
                results.append(result)
        finally:
            stack.stop()
    out = ROOT / "bench" / "results" / "trainer_job.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
