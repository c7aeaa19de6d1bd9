"""Weights and thresholds of the escalation score (handoff/escalation/escalation.yml)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONFIG_FILE = Path(__file__).with_name("escalation.yml")


@lru_cache(maxsize=1)
def config() -> dict[str, Any]:
    return dict(yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8")))
