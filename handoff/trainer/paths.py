"""Where the trainer finds the repository's own files: its root, config, held-out sets."""

from __future__ import annotations

from handoff.trainer.fingerprint import ROOT

REPO = ROOT
CONFIG = REPO / "config.yml"
HELDOUT_DIR = REPO / "tests" / "nlu"
