"""Training time of the English-only model and of the full multilingual model.

    .venv/bin/python bench/training_time.py

Trains into a temporary directory (the project's models/ is untouched) and writes
bench/results/training_time.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RASA = Path(sys.executable).parent / "rasa"


def train(nlu: list[str], out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            str(RASA),
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            *nlu,
            "data/rules",
            "--out",
            str(out),
            "--fixed-model-name",
            "m",
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RASA_TELEMETRY_ENABLED": "false",
            "RASA_MAX_CACHE_SIZE": "0",
        },
    )
    return time.perf_counter() - started


def main() -> int:
    langs = sorted(p.name for p in (ROOT / "data" / "nlu").iterdir() if p.is_dir())
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, nlu in (
            ("english", ["data/nlu/en"]),
            (f"multilingual ({len(langs)} languages)", ["data/nlu"]),
        ):
            seconds = train(nlu, Path(tmp) / name.split()[0])
            results[name] = round(seconds, 1)
            print(f"{name}: {seconds:.1f} s (full `rasa train`: NLU + rules, 2 cores)", flush=True)
    out = ROOT / "bench" / "results" / "training_time.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
