"""Running `rasa train` for a job: the command, its log file, progress events as it runs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
from pathlib import Path

from handoff.trainer.files import DataRoot
from handoff.trainer.fingerprint import VENV_BIN
from handoff.trainer.paths import CONFIG, REPO
from handoff.trainer.problems import JobFailed
from handoff.trainer.subprocesses import Emit, kill_group, subprocess_env
from handoff.trainer.train_log import TrainOutput

KEEP_LOGS = 20


def config_has_epochs(config: Path = CONFIG) -> bool:
    text = config.read_text(encoding="utf-8")
    return bool(
        re.search(r"DIETClassifier|TEDPolicy|ResponseSelector|UnexpecTEDIntentPolicy", text)
    )


def train_command(data: DataRoot, langs: list[str], models: Path, name: str) -> list[str]:
    folders = [str(data.nlu_dir / lang) for lang in langs] + [str(data.root / "data" / "rules")]
    # below the live bot's priority: the Rasa server shares these cores
    nice = ["nice", "-n", "10"] if shutil.which("nice") else []
    return [
        *nice,
        str(VENV_BIN / "rasa"),
        "train",
        "--config",
        str(CONFIG),
        "--domain",
        str(REPO / "domain.yml"),
        "--data",
        *folders,
        "--out",
        str(models),
        "--fixed-model-name",
        name.removesuffix(".tar.gz"),
    ]


async def rasa_train(
    job_id: str, data: DataRoot, langs: list[str], models: Path, name: str, emit: Emit
) -> None:
    """Trains `models/name` from `langs` of `data`; JobFailed with the output's last lines."""
    models.mkdir(parents=True, exist_ok=True)
    cmd = train_command(data, langs, models, name)
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
    output = TrainOutput()
    try:
        with open(log_path, "wb") as log:
            assert proc.stdout is not None
            while chunk := await proc.stdout.read(8192):
                log.write(chunk)
                for event in output.feed(chunk):
                    await emit(event)
        code = await proc.wait()
    except asyncio.CancelledError:
        kill_group(proc)
        raise
    finally:
        trim_logs(log_dir)
    if code != 0 or not (models / name).exists():
        raise JobFailed(f"rasa train failed (exit code {code}); log: {log_path}", output.tail)


def trim_logs(log_dir: Path, keep: int = KEEP_LOGS) -> None:
    logs = sorted(log_dir.glob("train-*.log"), key=os.path.getmtime, reverse=True)
    for old in logs[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
