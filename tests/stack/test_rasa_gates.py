"""Rasa's own gates on the trained model: test stories and held-out NLU evaluation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from handoff.dev.launcher import ensure_model

ROOT = Path(__file__).resolve().parents[2]
# Set honestly from measured results (README, "NLU accuracy"); raising it is the goal.
MIN_INTENT_F1 = 0.90
MIN_ACCURACY = 0.90
# The gate that matters: blind sets (tests/blind, independent authors, never trained on).
# 0.90 accuracy and <= 10 % off-topic answered with a core intent in every language (README,
# "NLU accuracy"): measured 0.905-0.945, vi 0.937 and ar 0.908 since vi is folded to the
# unaccented way shoppers type it and both got chat-style examples (they had a 0.85 floor).
BLIND_GOAL_ACCURACY = 0.90
BLIND_FLOOR = {lang: BLIND_GOAL_ACCURACY for lang in
               ("en", "es", "fr", "de", "it", "pt", "ar", "ja", "vi", "th")}  # fmt: skip
MAX_OFF_TOPIC_CORE = 0.10  # measured 5-9 %
pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def model() -> Path:
    return ensure_model()


@pytest.fixture(scope="module")
def nlu_report(model: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("nlu") / "nlu_eval.json"
    subprocess.run(
        [sys.executable, "scripts/eval_nlu.py", "--model", str(model), "--out", str(out)],
        cwd=ROOT,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    report = json.loads(out.read_text())
    results = ROOT / "results"
    results.mkdir(exist_ok=True)
    (results / "nlu_eval.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return report


def test_test_stories_pass_without_prediction_errors(model: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "rasa"),
            "test",
            "core",
            "--model",
            str(model),
            "--stories",
            "tests/stories",
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:] + details


def test_every_language_has_a_held_out_set(nlu_report: dict) -> None:
    from bot.language import NATIVE

    assert set(NATIVE) <= set(nlu_report["languages"])


@pytest.mark.parametrize("lang", ["en", "es", "fr", "de", "it", "pt", "ar", "ja", "vi", "th"])
def test_held_out_intent_f1_and_accuracy(nlu_report: dict, lang: str) -> None:
    result = nlu_report["languages"][lang]
    assert result["macro_f1"] >= MIN_INTENT_F1, result
    assert result["accuracy"] >= MIN_ACCURACY, result


@pytest.mark.parametrize("lang", ["en", "es", "fr", "de", "it", "pt", "ar", "ja", "vi", "th"])
def test_blind_accuracy_and_off_topic(nlu_report: dict, lang: str) -> None:
    result = nlu_report["blind"][lang]
    assert result["examples"] >= 250, result["examples"]  # enough unseen messages to count
    assert result["accuracy"] >= BLIND_FLOOR[lang], result
    assert result["off_topic_core_rate"] <= MAX_OFF_TOPIC_CORE, result
