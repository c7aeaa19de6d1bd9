"""Training jobs: validate the data, `rasa train`, evaluate new and active model.

`TrainingJobs` is the API the routes use and runs each job as an asyncio task. Its parts:
the Redis side (lock, records, event streams) is `job_store.py`, the `rasa train` process
`rasa_train.py`, its output `train_log.py`, the held-out evaluation `evaluation.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import re
import time
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bot.language import NATIVE
from bot.nlucheck import check_language, cross_language_conflicts
from handoff import keys
from handoff.errors import InputError
from handoff.tasks import stop_tasks
from handoff.trainer.evaluation import compare
from handoff.trainer.files import DataRoot
from handoff.trainer.fingerprint import fingerprint
from handoff.trainer.job_store import TERMINAL, Fields, JobStore
from handoff.trainer.models import ModelRegistry
from handoff.trainer.paths import CONFIG, REPO
from handoff.trainer.problems import JobFailed
from handoff.trainer.rasa_train import config_has_epochs, rasa_train
from handoff.trainer.subprocesses import Emit

LOG = logging.getLogger("handoff.trainer.jobs")
_COUNT_RULE = re.compile(r"has \d+ (training|held-out) examples \(<")


def check_data(root: Path, langs: list[str]) -> tuple[list[str], list[str]]:
    """`bot/nlucheck.py`'s rules on the data to be trained: (errors, warnings).
    Counts below the minimum are warnings: they fail `make test`, not the training."""
    with contextlib.redirect_stdout(io.StringIO()):
        problems = [p for lang in langs for p in check_language(lang, root)]
        if set(langs) == set(NATIVE):
            problems += cross_language_conflicts(root)
    warnings = [p for p in problems if _COUNT_RULE.search(p)]
    return [p for p in problems if p not in warnings], warnings


class TrainingJobs:
    def __init__(self, redis: Redis, data: DataRoot, registry: ModelRegistry) -> None:
        self.redis = redis
        self.data = data
        self.registry = registry
        self.store = JobStore(redis)
        self.tasks: dict[str, asyncio.Task[None]] = {}

    # ------------------------------------------------------------ API
    @staticmethod
    def languages(raw: object) -> list[str]:
        if raw is None:
            return list(NATIVE)
        if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
            raise InputError(
                400, "bad_languages", "'languages' must be a non-empty list such as [\"en\"]"
            )
        unknown = sorted(set(raw) - set(NATIVE))
        if unknown:
            raise InputError(
                400, "unknown_language", f"not native languages: {unknown}; use {', '.join(NATIVE)}"
            )
        return [lang for lang in NATIVE if lang in raw]

    async def start(
        self, langs: list[str], by: str, evaluate: Path | None = None
    ) -> dict[str, Any]:
        """A training job, or with `evaluate` only the held-out evaluation of that model
        (for models trained elsewhere, e.g. the launcher's, so coverage shows F1)."""
        job_id = await self.store.create(langs, by, evaluate)
        self.tasks[job_id] = asyncio.create_task(self._run(job_id, langs, by, evaluate))
        self.tasks[job_id].add_done_callback(lambda _t: self.tasks.pop(job_id, None))
        return await self.get(job_id)

    async def get(self, job_id: str) -> dict[str, Any]:
        job = await self.store.load(job_id)
        if job is None:
            raise InputError(404, "unknown_job", f"no training job {job_id!r}")
        if job["state"] not in TERMINAL and job_id not in self.tasks:
            if await self.store.lock_holder() != job_id:  # its gateway stopped while it ran
                job["state"] = "interrupted"
        return job

    async def recent(self, limit: int = 10) -> list[dict[str, Any]]:
        out = []
        for job_id in await self.store.recent_ids(limit):
            try:
                out.append(await self.get(job_id))
            except InputError:
                await self.store.forget(job_id)
        return out

    async def events_after(
        self, job_id: str, last_id: str, block_ms: int
    ) -> list[tuple[str, dict[str, Any]]]:
        return await self.store.events_after(job_id, last_id, block_ms)

    async def shutdown(self) -> None:
        await stop_tasks(list(self.tasks.values()))

    # ------------------------------------------------------------ the job
    def _emitter(self, job_id: str) -> Emit:
        async def emit(event: dict[str, Any]) -> None:
            await self.store.emit(job_id, event)

        return emit

    async def _run(self, job_id: str, langs: list[str], by: str, evaluate: Path | None) -> None:
        heartbeat = asyncio.create_task(self.store.keep_lock(job_id))
        durations: dict[str, float] = {}
        final: Fields = {}
        emit = self._emitter(job_id)
        try:
            if evaluate:
                result = await self._evaluate_only(job_id, langs, evaluate, durations)
            else:
                result = await self._pipeline(job_id, langs, by, durations)
            final = {"state": "ready", "result": json.dumps(result)}
            await emit({"type": "ready", "result": result})
        except asyncio.CancelledError:
            final = {"state": "cancelled", "error": "the gateway stopped during the job"}
            raise
        except JobFailed as exc:
            final = {"state": "failed", "error": str(exc), "problems": json.dumps(exc.details)}
            await emit({"type": "failed", "message": str(exc), "details": exc.details})
        except Exception as exc:  # noqa: BLE001 - reported on the page, logged in full
            LOG.exception("training_job_failed", extra={"job": job_id})
            final = {"state": "failed", "error": f"{type(exc).__name__}: {exc}"}
            await emit({"type": "failed", "message": final["error"]})
        finally:
            heartbeat.cancel()
            with contextlib.suppress(Exception):
                await self.store.finish(job_id, final, durations)
            LOG.info(
                "training_job_done",
                extra={"job": job_id, "state": final.get("state"), "durations": durations},
            )

    async def _pipeline(
        self, job_id: str, langs: list[str], by: str, durations: dict[str, float]
    ) -> dict[str, Any]:
        started = time.monotonic()
        emit = self._emitter(job_id)
        await self.store.stage(job_id, "validating", f"checking the {', '.join(langs)} data")
        loop = asyncio.get_running_loop()
        errors, warnings = await loop.run_in_executor(None, check_data, self.data.root, langs)
        durations["validate_s"] = round(time.monotonic() - started, 1)
        if warnings:
            await self.store.update(job_id, {"warnings": json.dumps(warnings)})
            await emit({"type": "warnings", "messages": warnings[:50]})
        if errors:
            raise JobFailed(f"the data has {len(errors)} problem(s); fix them first", errors[:50])

        fp = await loop.run_in_executor(None, fingerprint, CONFIG, self.data.root)
        suffix = "" if langs == list(NATIVE) else "-" + "-".join(langs)
        name = f"model-{fp}{suffix}.tar.gz"
        path = self.registry.models_dir / name
        await self.store.update(job_id, {"model": name})
        t0 = time.monotonic()
        if path.exists():
            await self.store.stage(
                job_id,
                "training",
                f"{name} was already trained from exactly this data and config: reusing it",
            )
        else:
            await self.store.stage(job_id, "training", f"rasa train on {', '.join(langs)}")
            if not config_has_epochs():
                await emit(
                    {
                        "type": "note",
                        "message": "this pipeline's intent classifier (TF-IDF + SVM) and "
                        "RulePolicy train in one pass: there are no epochs, so "
                        "progress is shown as Rasa's stages",
                    },
                )
            await rasa_train(job_id, self.data, langs, self.registry.models_dir, name, emit)
        durations["train_s"] = round(time.monotonic() - t0, 1)
        await self.redis.hset(
            keys.trainer_model(name),
            mapping={
                "job": job_id,
                "by": by,
                "languages": json.dumps(langs),
                "trained_at": str(time.time()),
            },
        )

        t0 = time.monotonic()
        await self.store.stage(job_id, "evaluating", f"held-out evaluation of {name}")
        new = await self.registry.evaluate(path, langs, emit)
        active = await self.registry.active()
        current: dict[str, Any] = {}
        if active.get("path") and active["model"] != name:
            await self.store.stage(
                job_id, "comparing", f"held-out evaluation of the active model {active['model']}"
            )
            current = await self.registry.evaluate(Path(active["path"]), langs, emit)
        durations["evaluate_s"] = round(time.monotonic() - t0, 1)
        protect = {f"model-{fp}.tar.gz", name}
        if self.data.root.resolve() == REPO.resolve():
            protect.add(f"model-{await loop.run_in_executor(None, fingerprint)}.tar.gz")
        removed = await self.registry.prune(protect)
        durations["total_s"] = round(time.monotonic() - started, 1)
        return {
            "model": name,
            "languages": langs,
            "active_model": active.get("model"),
            "comparison": compare(new, current),
            "pruned": removed,
        }

    async def _evaluate_only(
        self, job_id: str, langs: list[str], path: Path, durations: dict[str, float]
    ) -> dict[str, Any]:
        started = time.monotonic()
        await self.store.stage(job_id, "evaluating", f"held-out evaluation of {path.name}")
        reports = await self.registry.evaluate(path, langs, self._emitter(job_id))
        durations["evaluate_s"] = durations["total_s"] = round(time.monotonic() - started, 1)
        active = (await self.registry.active()).get("model")
        return {
            "model": path.name,
            "languages": langs,
            "active_model": active,
            "comparison": compare(reports, {}),
            "evaluated_only": True,
        }
