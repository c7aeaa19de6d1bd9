"""Held-out evaluation of a model, its Redis cache, and new-vs-active comparison rows.

Evaluations run `scripts/eval_nlu.py` in a subprocess (Rasa loads there, not in the
gateway) and are cached in Redis per model, language and held-out file content.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bot.language import NATIVE
from handoff import keys
from handoff.trainer.paths import HELDOUT_DIR, REPO
from handoff.trainer.subprocesses import Emit, kill_group, subprocess_env


def heldout_sha(lang: str) -> str:
    path = HELDOUT_DIR / f"{lang}.yml"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else "none"


async def cached_eval(redis: Redis, name: str, langs: list[str]) -> dict[str, Any]:
    fields = [f"{lang}:{heldout_sha(lang)}" for lang in langs]
    if not fields:
        return {}
    raw = await redis.hmget(keys.trainer_eval(name), fields)
    return {lang: json.loads(r) for lang, r in zip(langs, raw, strict=True) if r is not None}


async def all_evals(redis: Redis, name: str) -> dict[str, Any]:
    return await cached_eval(redis, name, list(NATIVE))


async def run_eval_nlu(path: Path, langs: list[str]) -> dict[str, Any]:
    """`scripts/eval_nlu.py` on `path` for `langs`: {lang: report}."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "eval.json"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(REPO / "scripts" / "eval_nlu.py"),
            "--model",
            str(path),
            "--out",
            str(out),
            *langs,
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
            raise RuntimeError(f"evaluation failed (exit {proc.returncode}): " + " | ".join(tail))
        report = json.loads(out.read_text(encoding="utf-8"))
    languages: dict[str, Any] = report.get("languages", {})
    return languages


async def evaluate(redis: Redis, path: Path, langs: list[str], emit: Emit) -> dict[str, Any]:
    """Held-out reports of `path` for `langs` (cached ones reused)."""
    reports = await cached_eval(redis, path.name, langs)
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
    fresh = await run_eval_nlu(path, missing)
    if fresh:
        await redis.hset(
            keys.trainer_eval(path.name),
            mapping={f"{lang}:{heldout_sha(lang)}": json.dumps(r) for lang, r in fresh.items()},
        )
        await redis.set(keys.TRAINER_LAST_EVAL, path.name)
    reports.update(fresh)
    return reports


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
