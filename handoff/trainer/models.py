"""Trained models on disk, which one Rasa is running, activation history and rollback.

- Models are files `model-<fingerprint>[-<languages>].tar.gz` in the models folder (the
  launcher's `ensure_model()` names full models the same way, so it finds the trainer's).
- Held-out evaluations are run and cached by `evaluation.py`; a model only becomes active
  after one (or when it was active before).
- Activation = Rasa's `PUT /model`, sent until every Sanic worker runs the model (see
  `activation.py` for how that is confirmed); each activation is recorded in Redis.
- Rollback = activate the model that was active before the current one; activations are a
  list in Redis, so repeated rollbacks walk further back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis

from handoff import keys
from handoff.errors import InputError
from handoff.rasa_client import with_token
from handoff.trainer import evaluation
from handoff.trainer.activation import load_everywhere
from handoff.trainer.paths import REPO
from handoff.trainer.subprocesses import Emit

LOG = logging.getLogger("handoff.trainer.models")
MODEL_RE = re.compile(r"^model-[A-Za-z0-9_.-]{1,100}\.tar\.gz$")
HISTORY = 50


def model_name(name: str) -> str:
    name = name if name.endswith(".tar.gz") else f"{name}.tar.gz"
    if not MODEL_RE.match(name):
        raise InputError(404, "unknown_model", f"{name!r} is not a model name")
    return name


def languages_of(name: str) -> list[str] | None:
    """Languages a trainer-made subset model was trained on (None = all of them)."""
    parts = name.removesuffix(".tar.gz").split("-")[2:]
    return parts or None


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class ModelRegistry:
    def __init__(
        self, redis: Redis, models_dir: Path, rasa_url: str, keep: int = 5, token: str = ""
    ) -> None:
        self.redis = redis
        self.token = token  # Rasa's --auth-token
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
                async with session.get(with_token(f"{self.rasa_url}/status", self.token)) as resp:
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
        return await evaluation.cached_eval(self.redis, name, langs)

    async def all_evals(self, name: str) -> dict[str, Any]:
        return await evaluation.all_evals(self.redis, name)

    async def evaluate(self, path: Path, langs: list[str], emit: Emit) -> dict[str, Any]:
        """Held-out reports of `path` for `langs` (cached ones reused)."""
        return await evaluation.evaluate(self.redis, path, langs, emit)

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
            outcome = await load_everywhere(self.rasa_url, path, self.token)
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
