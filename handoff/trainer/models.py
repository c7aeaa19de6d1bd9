"""Trained models on disk, their held-out evaluations, and which one Rasa is running.

- Models are files `model-<fingerprint>[-<languages>].tar.gz` in the models folder (the
  launcher's `ensure_model()` names full models the same way, so it finds the trainer's).
- Evaluations run `scripts/eval_nlu.py` in a subprocess (Rasa loads there, not in the
  gateway) and are cached in Redis per model, language and held-out file content.
- Activation = Rasa's `PUT /model`. The server runs several Sanic workers (two by
  default), each with its own model, sharing one listening socket; a request reaches one
  worker, and not a random one: an idle worker that just answered tends to take the next
  connection too, so "poll /status until it looks right" can see one worker only. What is
  reliable: loading a model blocks the loading worker's event loop, and a blocked worker
  accepts no connections. So each round sends a PUT (one worker reloads the new model,
  harmlessly) and, while it loads, asks /status on fresh connections: only the other
  workers can answer. A stale answer gets a PUT of its own, which can only reach a worker
  that is not busy, i.e. a stale one. Two rounds in a row with only new answers confirm;
  a server where nobody else ever answers is a single worker. The result says honestly
  whether it was confirmed.
- Rollback = activate the model that was active before the current one; activations are a
  list in Redis, so repeated rollbacks walk further back.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis

from handoff import keys
from handoff.errors import InputError

LOG = logging.getLogger("handoff.trainer.models")
REPO = Path(__file__).resolve().parents[2]
MODEL_RE = re.compile(r"^model-[A-Za-z0-9_.-]{1,100}\.tar\.gz$")
CONFIRM_ROUNDS = 2  # rounds in a row in which only the new model answered
MIN_ROUND_ANSWERS = 3  # answers from the not-busy workers a round needs to count
EMPTY_ROUNDS = 3  # rounds nobody else answered in: a single-worker server
MAX_ROUNDS = 12
SETTLE_S = 0.03  # Sanic reads the PUT and starts loading within a few ms
CONFIRM_POLLS = 8  # a last look on fresh connections
POLL_GAP_S = 0.02
ACTIVATE_DEADLINE_S = 300
HISTORY = 50

Emit = Callable[[dict[str, Any]], Awaitable[None]]


def model_name(name: str) -> str:
    name = name if name.endswith(".tar.gz") else f"{name}.tar.gz"
    if not MODEL_RE.match(name):
        raise InputError(404, "unknown_model", f"{name!r} is not a model name")
    return name


def heldout_sha(lang: str) -> str:
    path = REPO / "tests" / "nlu" / f"{lang}.yml"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else "none"


def languages_of(name: str) -> list[str] | None:
    """Languages a trainer-made subset model was trained on (None = all of them)."""
    parts = name.removesuffix(".tar.gz").split("-")[2:]
    return parts or None


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class ModelRegistry:
    def __init__(self, redis: Redis, models_dir: Path, rasa_url: str, keep: int = 5) -> None:
        self.redis = redis
        self.models_dir = models_dir
        self.rasa_url = rasa_url.rstrip("/")
        self.keep = max(1, keep)
        self._activating = asyncio.Lock()

    # ------------------------------------------------------------ files
    def dirs(self) -> list[Path]:
        """Where models may be activated from: ours, and the repository's (the launcher's
        model, which is what Rasa runs when the stack starts)."""
        out = [self.models_dir]
        if (REPO / "models").resolve() != self.models_dir.resolve():
            out.append(REPO / "models")
        return out

    def find(self, name: str) -> Path | None:
        name = model_name(name)
        for folder in self.dirs():
            path = folder / name
            if path.is_file():
                return path
        return None

    def files(self) -> list[Path]:
        if not self.models_dir.exists():
            return []
        found = [p for p in self.models_dir.glob("model-*.tar.gz") if MODEL_RE.match(p.name)]
        return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)

    # ------------------------------------------------------------ Rasa
    async def status(self) -> dict[str, Any] | None:
        try:
            async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True),
                timeout=aiohttp.ClientTimeout(total=10),
            ) as session:
                async with session.get(f"{self.rasa_url}/status") as resp:
                    return dict(await resp.json()) if resp.status == 200 else None
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None

    async def active(self) -> dict[str, Any]:
        status = await self.status()
        if status is None:
            return {"model": None, "path": None, "reachable": False}
        name = status.get("model_file")
        path = self.find(name) if name and MODEL_RE.match(name) else None
        return {
            "model": name,
            "model_id": status.get("model_id"),
            "reachable": True,
            "path": str(path) if path else None,
        }

    # ------------------------------------------------------------ evaluation
    async def cached_eval(self, name: str, langs: list[str]) -> dict[str, Any]:
        fields = [f"{lang}:{heldout_sha(lang)}" for lang in langs]
        if not fields:
            return {}
        raw = await self.redis.hmget(keys.trainer_eval(name), fields)
        return {lang: json.loads(r) for lang, r in zip(langs, raw, strict=True) if r is not None}

    async def all_evals(self, name: str) -> dict[str, Any]:
        from bot.language import NATIVE

        return await self.cached_eval(name, list(NATIVE))

    async def evaluate(self, path: Path, langs: list[str], emit: Emit) -> dict[str, Any]:
        """Held-out reports of `path` for `langs` (cached ones reused)."""
        reports = await self.cached_eval(path.name, langs)
        missing = [lang for lang in langs if lang not in reports]
        if not missing:
            await emit({"type": "log", "message": f"{path.name}: evaluation cached"})
            return reports
        await emit(
            {
                "type": "log",
                "message": f"evaluating {path.name} on the held-out sets of {', '.join(missing)}",
            }
        )
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "eval.json"
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(REPO / "scripts" / "eval_nlu.py"),
                "--model",
                str(path),
                "--out",
                str(out),
                *missing,
                cwd=REPO,
                env=subprocess_env(),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                output, _ = await proc.communicate()
            except asyncio.CancelledError:
                kill_group(proc)
                raise
            if proc.returncode != 0 or not out.exists():
                tail = [
                    ln
                    for ln in output.decode("utf-8", "replace").splitlines()
                    if ln.strip() and "Warning" not in ln
                ][-5:]
                raise RuntimeError(
                    f"evaluation failed (exit {proc.returncode}): " + " | ".join(tail)
                )
            report = json.loads(out.read_text(encoding="utf-8"))
        fresh = report.get("languages", {})
        if fresh:
            await self.redis.hset(
                keys.trainer_eval(path.name),
                mapping={f"{lang}:{heldout_sha(lang)}": json.dumps(r) for lang, r in fresh.items()},
            )
            await self.redis.set(keys.TRAINER_LAST_EVAL, path.name)
        reports.update(fresh)
        return reports

    # ------------------------------------------------------------ activation
    async def history(self, limit: int = HISTORY) -> list[dict[str, Any]]:
        raw = await self.redis.lrange(keys.TRAINER_ACTIVATIONS, 0, limit - 1)
        return [json.loads(r) for r in raw]

    async def rollback_target(self) -> dict[str, Any] | None:
        """The model that was active before the current one, if it is still on disk."""
        current = (await self.active()).get("model")
        records = await self.history()
        for i, rec in enumerate(records):
            if rec["model"] != current:
                continue
            prev = rec.get("previous")
            if prev and self.find(prev):
                older = next(
                    (r.get("previous") for r in records[i + 1 :] if r["model"] == prev), None
                )
                return {"model": prev, "then_previous": older}
            return None
        return None

    async def activate(
        self, name: str, by: str, *, rollback: bool = False, then_previous: str | None = None
    ) -> dict[str, Any]:
        name = model_name(name)
        path = self.find(name)
        if path is None:
            raise InputError(404, "unknown_model", f"no model {name} in {self.models_dir}")
        if self._activating.locked():
            raise InputError(409, "activation_running", "another activation is running")
        async with self._activating:
            before = await self.active()
            if not before["reachable"]:
                raise InputError(503, "rasa_unavailable", "the Rasa server is not reachable")
            was_active = any(
                r["model"] == name or r.get("previous") == name for r in await self.history()
            )
            if (
                not rollback
                and not was_active
                and name != before["model"]
                and not await self.redis.exists(keys.trainer_eval(name))
            ):
                raise InputError(
                    409,
                    "not_evaluated",
                    "evaluate this model on the held-out sets before activating it",
                )
            started = time.monotonic()
            outcome = await self._load_everywhere(path)
            record = {
                "model": name,
                "path": str(path),
                "previous": before["model"],
                "by": by,
                "at": time.time(),
                "rollback": rollback,
                "seconds": round(time.monotonic() - started, 1),
                **outcome,
            }
            if rollback:
                # the undo stack: what was before the restored model becomes the next target
                record["previous"] = then_previous
                record["replaced"] = before["model"]
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.lpush(keys.TRAINER_ACTIVATIONS, json.dumps(record))
                pipe.ltrim(keys.TRAINER_ACTIVATIONS, 0, HISTORY - 1)
                await pipe.execute()
            LOG.info(
                "model_activated",
                extra={
                    "model": name,
                    "by": by,
                    "rollback": rollback,
                    "confirmed": outcome["confirmed"],
                    "puts": outcome["puts"],
                },
            )
            return record

    async def rollback(self, by: str) -> dict[str, Any]:
        target = await self.rollback_target()
        if target is None:
            raise InputError(
                409,
                "nothing_to_roll_back",
                "no earlier model to go back to (or its file was deleted)",
            )
        return await self.activate(
            target["model"], by, rollback=True, then_previous=target["then_previous"]
        )

    async def _load_everywhere(self, path: Path) -> dict[str, Any]:
        """PUT the model until every worker runs it; see the module docstring."""
        stats = {"puts": 0, "polls": 0, "rounds": 0, "stale_answers": 0, "other_worker_answers": 0}
        confirmed_rounds = empty_rounds = 0
        deadline = time.monotonic() + ACTIVATE_DEADLINE_S
        # a fresh connection per request: keep-alive would pin every request to one worker
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True),
            timeout=aiohttp.ClientTimeout(total=180),
        ) as session:

            async def put() -> None:
                stats["puts"] += 1
                async with session.put(
                    f"{self.rasa_url}/model", json={"model_file": str(path)}
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
                    async with session.get(f"{self.rasa_url}/status") as resp:
                        return (await resp.json()).get("model_file") if resp.status == 200 else None
                except (aiohttp.ClientError, TimeoutError, ValueError):
                    return None

            await put()  # one worker runs it now
            while (
                confirmed_rounds < CONFIRM_ROUNDS
                and empty_rounds < EMPTY_ROUNDS
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
                    confirmed_rounds = 0
                elif fresh >= MIN_ROUND_ANSWERS:
                    confirmed_rounds += 1
                elif fresh == 0:
                    empty_rounds += 1  # nobody else answered while one worker was busy
            finals = [await current() for _ in range(CONFIRM_POLLS)]
        all_new = all(name == path.name for name in finals)
        single = empty_rounds >= EMPTY_ROUNDS and stats["other_worker_answers"] == 0
        return {
            "confirmed": all_new and (confirmed_rounds >= CONFIRM_ROUNDS or single),
            "single_worker": single,
            **stats,
        }

    # ------------------------------------------------------------ housekeeping
    async def prune(self, protect: set[str]) -> list[str]:
        """Keep the newest `keep` models plus the protected ones (active, rollback target,
        the launcher's model for the current data); delete the rest and their records."""
        active = (await self.active()).get("model")
        target = await self.rollback_target()
        keep = set(protect) | {active or "", (target or {}).get("model") or ""}
        removed = []
        for i, path in enumerate(self.files()):
            if i < self.keep or path.name in keep:
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed.append(path.name)
            await self.redis.delete(keys.trainer_eval(path.name), keys.trainer_model(path.name))
        if removed:
            LOG.info("models_pruned", extra={"removed": removed})
        return removed

    async def describe(self) -> dict[str, Any]:
        active = await self.active()
        target = await self.rollback_target()
        paths = self.files()
        if active.get("path") and Path(active["path"]) not in paths:
            paths.append(Path(active["path"]))
        out = []
        for path in paths:
            info = {
                _s(k): _s(v)
                for k, v in (await self.redis.hgetall(keys.trainer_model(path.name))).items()
            }
            evals = await self.all_evals(path.name)
            st = path.stat()
            out.append(
                {
                    "name": path.name,
                    "folder": str(path.parent),
                    "size": st.st_size,
                    "created_at": st.st_mtime,
                    "active": path.name == active.get("model"),
                    "languages": languages_of(path.name),
                    "trained_by": info.get("by"),
                    "job": info.get("job"),
                    "evaluation": {
                        lang: {"macro_f1": r.get("macro_f1"), "accuracy": r.get("accuracy")}
                        for lang, r in evals.items()
                    },
                }
            )
        return {
            "active": active,
            "rollback_to": (target or {}).get("model"),
            "models": out,
            "history": (await self.history(10)),
            "keep": self.keep,
        }


def subprocess_env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "RASA_TELEMETRY_ENABLED": "false",
        "RASA_MAX_CACHE_SIZE": "0",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


def kill_group(proc: asyncio.subprocess.Process) -> None:
    import signal

    if proc.returncode is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
