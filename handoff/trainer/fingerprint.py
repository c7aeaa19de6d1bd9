"""Which model goes with which data: a hash of config, domain, NLU data and our components.

Equal content gives the same model name, so `make run` retrains only when something the
model depends on changed, and the trainer console names its models the same way.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
FINGERPRINTED = [
    "config.yml",
    "domain.yml",
    "data/nlu",
    "data/rules",
    "data/stories",
    "bot/components.py",
    "bot/classifier.py",
    "bot/text.py",
    "bot/language.py",
    "bot/entities.py",
    "bot/patterns",
]


def fingerprint(config: Path = ROOT / "config.yml", data_root: Path = ROOT) -> str:
    """Hash of config, domain, code and data; `data_root` holds the `data/` folder (the
    trainer console may work on a copy), so equal content gives the same model name."""
    digest = hashlib.sha256(config.read_bytes())
    for name in FINGERPRINTED[1:]:
        base = data_root if name.startswith("data/") else ROOT
        path = base / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for f in files:
            if f.is_file() and f.suffix in {".yml", ".yaml", ".py"}:
                digest.update(str(f.relative_to(base)).encode())
                digest.update(f.read_bytes())
    return digest.hexdigest()[:12]
