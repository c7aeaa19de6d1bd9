"""Training jobs: validate the data, `rasa train`, evaluate new and active model.

One job at a time across gateways (a Redis lock with a TTL the running job keeps
refreshing, so a crashed gateway frees it). Progress events go to a Redis stream per job;
the page reads them through Server-Sent Events from whichever gateway it talks to.

Rasa prints no overall percentage; what it does print is parsed into events: data
validation, each component starting and finishing (policies are the Core part, the rest
NLU), tqdm epoch bars for components that have epochs (DIET, TED — our TF-IDF+SVM
classifier and RulePolicy have none, and the page says so), and the saved model.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bot.language import NATIVE
from bot.nlucheck import check_language, cross_language_conflicts
from handoff import keys
from handoff.errors import InputError
from handoff.trainer.files import DataRoot
from handoff.trainer.fingerprint import VENV_BIN, fingerprint
from handoff.trainer.models import REPO, ModelRegistry, kill_group, subprocess_env

LOG = logging.getLogger("handoff.trainer.jobs")
LOCK_TTL_S = 90
KEEP_JOB_S = 14 * 24 * 3600
TERMINAL = {"ready", "failed", "cancelled", "interrupted"}
CONFIG = REPO / "config.yml"

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_EPOCHS = re.compile(r"Epochs:\s*(\d+)%\|[^|]*\|\s*(\d+)/(\d+)")
_COMPONENT = re.compile(r"(Starting to train|Finished training) component '([^']+)'")
_SAVED = re.compile(r"Your Rasa model is trained and saved at '([^']+)'")
_CLASSIFIER = re.compile(r"trained intent classifier on (\d+) examples, (\d+) intents")
_COUNT_RULE = re.compile(r"has \d+ (training|held-out) examples \(<")
_RELEASE = """if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1])
else return 0 end"""
_REFRESH = """if redis.call('get', KEYS[1]) == ARGV[1] then
return redis.call('expire', KEYS[1], ARGV[2]) else return 0 end"""


class JobFailed(Exception):
    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


def parse_train_line(line: str) -> dict[str, Any] | None:
    """One line of `rasa train` output as a progress event (None: nothing to show)."""
    line = _ANSI.sub("", line).strip()
    if not line:
        return None
    if m := _EPOCHS.search(line):
        return {
            "type": "epochs",
            "percent": int(m.group(1)),
            "done": int(m.group(2)),
            "total": int(m.group(3)),
        }
    if m := _COMPONENT.search(line):
        name = m.group(2)
        return {
            "type": "component",
            "name": name,
            "state": "started" if m.group(1).startswith("Starting") else "finished",
            "part": "core" if name.endswith("Policy") else "nlu",
        }
    if m := _SAVED.search(line):
        return {"type": "trained", "path": m.group(1)}
    if m := _CLASSIFIER.search(line):
        return {
            "type": "log",
            "message": f"intent classifier fitted on {m.group(1)} examples, "
            f"{m.group(2)} intents (one pass, no epochs)",
        }
    if "Started validating domain and training data" in line:
        return {"type": "log", "message": "Rasa is validating domain and training data"}
    if "rasa.validator" in line and " - " in line:
        return {"type": "log", "message": line.split(" - ", 1)[1]}
    return None


def config_has_epochs(config: Path = CONFIG) -> bool:
    text = config.read_text(encoding="utf-8")
    return bool(
        re.search(r"DIETClassifier|TEDPolicy|ResponseSelector|UnexpecTEDIntentPolicy", text)
    )


def check_data(root: Path, langs: list[str]) -> tuple[list[str], list[str]]:
    """`bot/nlucheck.py`'s rules on the data to be trained: (errors, warnings).
    Counts below the minimum are warnings: they fail `make test`, not the training."""
    with contextlib.redirect_stdout(io.StringIO()):
        problems = [p for lang in langs for p in check_language(lang, root)]
        if set(langs) == set(NATIVE):
            problems += cross_language_conflicts(root)
    warnings = [p for p in problems if _COUNT_RULE.search(p)]
    return [p for p in problems if p not in warnings], warnings


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class TrainingJobs:
    def __init__(self, redis: Redis, data: DataRoot, registry: ModelRegistry) -> None:
        self.redis = redis
        self.data = data
        self.registry = registry
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
        job_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
        if not await self.redis.set(keys.TRAINER_LOCK, job_id, nx=True, ex=LOCK_TTL_S):
            running = _s(await self.redis.get(keys.TRAINER_LOCK) or b"")
            raise InputError(
                409, "training_busy", f"a training is already running (job {running}); wait for it"
            )
        job: dict[str | bytes, bytes | float | int | str] = {
            "id": job_id,
            "state": "queued",
            "languages": json.dumps(langs),
            "by": by,
            "started_at": str(time.time()),
            "stage": "queued",
            "kind": "evaluate" if evaluate else "train",
        }
        if evaluate:
            job["model"] = evaluate.name
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.trainer_job(job_id), mapping=job)
            pipe.zadd(keys.TRAINER_JOBS, {job_id: time.time()})
            await pipe.execute()
        self.tasks[job_id] = asyncio.create_task(self._run(job_id, langs, by, evaluate))
        self.tasks[job_id].add_done_callback(lambda _t: self.tasks.pop(job_id, None))
        return await self.get(job_id)

    async def get(self, job_id: str) -> dict[str, Any]:
        stored = await self.redis.hgetall(keys.trainer_job(job_id))
        raw = {_s(k): _s(v) for k, v in stored.items()}
        if not raw:
            raise InputError(404, "unknown_job", f"no training job {job_id!r}")
        job: dict[str, Any] = dict(raw)
        for field in ("languages", "result", "durations", "problems", "warnings"):
            if field in job:
                job[field] = json.loads(job[field])
        for field in ("started_at", "finished_at"):
            if field in job:
                job[field] = float(job[field])
        if job["state"] not in TERMINAL and job_id not in self.tasks:
            holder = _s(await self.redis.get(keys.TRAINER_LOCK) or b"")
            if holder != job_id:  # its gateway stopped while it ran
                job["state"] = "interrupted"
        return job

    async def recent(self, limit: int = 10) -> list[dict[str, Any]]:
        ids = await self.redis.zrevrange(keys.TRAINER_JOBS, 0, limit - 1)
        out = []
        for raw_id in ids:
            try:
                out.append(await self.get(_s(raw_id)))
            except InputError:
                await self.redis.zrem(keys.TRAINER_JOBS, raw_id)
        return out

    async def events_after(
        self, job_id: str, last_id: str, block_ms: int
    ) -> list[tuple[str, dict[str, Any]]]:
        found = await self.redis.xread(
            {keys.trainer_job_events(job_id): last_id}, count=200, block=block_ms
        )
        out = []
        for _stream, entries in found or []:
            for entry_id, fields in entries:
                data = fields.get(b"data") or fields.get("data")
                out.append((_s(entry_id), json.loads(_s(data))))
        return out

    async def shutdown(self) -> None:
        for task in list(self.tasks.values()):
            task.cancel()
        for task in list(self.tasks.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ------------------------------------------------------------ the job
    async def emit(self, job_id: str, event: dict[str, Any]) -> None:
        event = {"at": round(time.time(), 3), **event}
        await self.redis.xadd(
            keys.trainer_job_events(job_id),
            {"data": json.dumps(event, ensure_ascii=False)},
            maxlen=5000,
            approximate=True,
        )

    async def _stage(self, job_id: str, stage: str, message: str) -> None:
        await self.redis.hset(keys.trainer_job(job_id), mapping={"stage": stage, "state": stage})
        await self.emit(job_id, {"type": "stage", "stage": stage, "message": message})

    async def _keep_lock(self, job_id: str) -> None:
        while True:
            await asyncio.sleep(LOCK_TTL_S / 3)
            await self.redis.eval(_REFRESH, 1, keys.TRAINER_LOCK, job_id, LOCK_TTL_S)

    async def _run(self, job_id: str, langs: list[str], by: str, evaluate: Path | None) -> None:
        heartbeat = asyncio.create_task(self._keep_lock(job_id))
        durations: dict[str, float] = {}
        final: dict[str | bytes, bytes | float | int | str] = {}
        try:
            if evaluate:
                result = await self._evaluate_only(job_id, langs, evaluate, durations)
            else:
                result = await self._pipeline(job_id, langs, by, durations)
            final = {"state": "ready", "result": json.dumps(result)}
            await self.emit(job_id, {"type": "ready", "result": result})
        except asyncio.CancelledError:
            final = {"state": "cancelled", "error": "the gateway stopped during the job"}
            raise
        except JobFailed as exc:
            final = {"state": "failed", "error": str(exc), "problems": json.dumps(exc.details)}
            await self.emit(job_id, {"type": "failed", "message": str(exc), "details": exc.details})
        except Exception as exc:  # noqa: BLE001 - reported on the page, logged in full
            LOG.exception("training_job_failed", extra={"job": job_id})
            final = {"state": "failed", "error": f"{type(exc).__name__}: {exc}"}
            await self.emit(job_id, {"type": "failed", "message": final["error"]})
        finally:
            heartbeat.cancel()
            with contextlib.suppress(Exception):
                final.update(
                    finished_at=str(time.time()),
                    durations=json.dumps(durations),
                    stage=final.get("state", "failed"),
                )
                await self.redis.hset(keys.trainer_job(job_id), mapping=final)
                await self.emit(job_id, {"type": "end", "state": final.get("state")})
                for key in (keys.trainer_job(job_id), keys.trainer_job_events(job_id)):
                    await self.redis.expire(key, KEEP_JOB_S)
                await self.redis.eval(_RELEASE, 1, keys.TRAINER_LOCK, job_id)
            LOG.info(
                "training_job_done",
                extra={"job": job_id, "state": final.get("state"), "durations": durations},
            )

    async def _pipeline(
        self, job_id: str, langs: list[str], by: str, durations: dict[str, float]
    ) -> dict[str, Any]:
        started = time.monotonic()
        await self._stage(job_id, "validating", f"checking the {', '.join(langs)} data")
        loop = asyncio.get_running_loop()
        errors, warnings = await loop.run_in_executor(None, check_data, self.data.root, langs)
        durations["validate_s"] = round(time.monotonic() - started, 1)
        if warnings:
            await self.redis.hset(keys.trainer_job(job_id), "warnings", json.dumps(warnings))
            await self.emit(job_id, {"type": "warnings", "messages": warnings[:50]})
        if errors:
            raise JobFailed(f"the data has {len(errors)} problem(s); fix them first", errors[:50])

        fp = await loop.run_in_executor(None, fingerprint, CONFIG, self.data.root)
        suffix = "" if langs == list(NATIVE) else "-" + "-".join(langs)
        name = f"model-{fp}{suffix}.tar.gz"
        path = self.registry.models_dir / name
        await self.redis.hset(keys.trainer_job(job_id), "model", name)
        t0 = time.monotonic()
        if path.exists():
            await self._stage(
                job_id,
                "training",
                f"{name} was already trained from exactly this data and config: reusing it",
            )
        else:
            await self._stage(job_id, "training", f"rasa train on {', '.join(langs)}")
            if not config_has_epochs():
                await self.emit(
                    job_id,
                    {
                        "type": "note",
                        "message": "this pipeline's intent classifier (TF-IDF + SVM) and "
                        "RulePolicy train in one pass: there are no epochs, so "
                        "progress is shown as Rasa's stages",
                    },
                )
            await self._train(job_id, langs, name)
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

        async def emit(event: dict[str, Any]) -> None:
            await self.emit(job_id, event)

        t0 = time.monotonic()
        await self._stage(job_id, "evaluating", f"held-out evaluation of {name}")
        new = await self.registry.evaluate(path, langs, emit)
        active = await self.registry.active()
        current: dict[str, Any] = {}
        if active.get("path") and active["model"] != name:
            await self._stage(
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

        async def emit(event: dict[str, Any]) -> None:
            await self.emit(job_id, event)

        await self._stage(job_id, "evaluating", f"held-out evaluation of {path.name}")
        reports = await self.registry.evaluate(path, langs, emit)
        durations["evaluate_s"] = durations["total_s"] = round(time.monotonic() - started, 1)
        active = (await self.registry.active()).get("model")
        return {
            "model": path.name,
            "languages": langs,
            "active_model": active,
            "comparison": compare(reports, {}),
            "evaluated_only": True,
        }

    async def _train(self, job_id: str, langs: list[str], name: str) -> None:
        models = self.registry.models_dir
        models.mkdir(parents=True, exist_ok=True)
        data = [str(self.data.nlu_dir / lang) for lang in langs] + [
            str(self.data.root / "data" / "rules")
        ]
        # below the live bot's priority: the Rasa server shares these cores
        nice = ["nice", "-n", "10"] if shutil.which("nice") else []
        cmd = [
            *nice,
            str(VENV_BIN / "rasa"),
            "train",
            "--config",
            str(CONFIG),
            "--domain",
            str(REPO / "domain.yml"),
            "--data",
            *data,
            "--out",
            str(models),
            "--fixed-model-name",
            name.removesuffix(".tar.gz"),
        ]
        log_dir = models / "logs"
        log_dir.mkdir(exist_ok=True)
        log_path = log_dir / f"train-{job_id}.log"
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            cwd=REPO,
            env=subprocess_env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        tail: list[str] = []
        last_epoch: tuple[str, int] | None = None
        component = ""
        try:
            with open(log_path, "wb") as log:
                buf = ""
                assert proc.stdout is not None
                while chunk := await proc.stdout.read(8192):
                    log.write(chunk)
                    buf += chunk.decode("utf-8", "replace")
                    *lines, buf = re.split(r"[\r\n]", buf)
                    for line in lines:
                        event = parse_train_line(line)
                        if line.strip() and "Warning" not in line and "warn(" not in line:
                            tail = (tail + [_ANSI.sub("", line.strip())[:300]])[-8:]
                        if event is None:
                            continue
                        if event["type"] == "component" and event["state"] == "started":
                            component = event["name"]
                        if event["type"] == "epochs":
                            event["component"] = component
                            if last_epoch == (component, event["done"]):
                                continue  # tqdm redraws the same epoch many times
                            last_epoch = (component, event["done"])
                        await self.emit(job_id, event)
            code = await proc.wait()
        except asyncio.CancelledError:
            kill_group(proc)
            raise
        finally:
            self._trim_logs(log_dir)
        if code != 0 or not (models / name).exists():
            raise JobFailed(f"rasa train failed (exit code {code}); log: {log_path}", tail)

    @staticmethod
    def _trim_logs(log_dir: Path, keep: int = 20) -> None:
        logs = sorted(log_dir.glob("train-*.log"), key=os.path.getmtime, reverse=True)
        for old in logs[keep:]:
            with contextlib.suppress(OSError):
                old.unlink()


def summary(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "macro_f1": report.get("macro_f1"),
        "accuracy": report.get("accuracy"),
        "examples": report.get("examples"),
        "confused": report.get("confused_pairs", [])[:5],
    }


def compare(new: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for lang, report in new.items():
        old = current.get(lang)
        row = {"new": summary(report), "active": summary(old) if old else None}
        if old and report.get("macro_f1") is not None and old.get("macro_f1") is not None:
            row["delta_macro_f1"] = round(report["macro_f1"] - old["macro_f1"], 4)
        out[lang] = row
    return out
