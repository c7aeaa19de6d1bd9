"""The one reader of NLU data files (data/nlu/<lang>/*.yml, tests/nlu, tests/blind).

Scripts, the trainer console, the language detector and the tests all read examples here,
with one annotation grammar: `[text](entity)`, `[text](entity:value)` or
`[text]{"entity": ..., "value": ...}`. The intent list comes from domain.yml only.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import regex
import yaml

ROOT = Path(__file__).resolve().parent.parent
NLU_DIR = ROOT / "data" / "nlu"
HELDOUT_DIR = ROOT / "tests" / "nlu"
BLIND_DIR = ROOT / "tests" / "blind"
DOMAIN_FILE = ROOT / "domain.yml"

# [text](entity) | [text](entity:value) | [text]{json}
ANNOTATION = regex.compile(r"\[([^\[\]\n]*)\](?:\(([^()\n]*)\)|(\{[^{}\n]*\}))")

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def plain(example: str) -> str:
    """The example as a shopper would type it: annotations removed."""
    return ANNOTATION.sub(lambda m: m.group(1), example)


def key_of(example: str) -> str:
    """What makes two examples "the same": plain text, whitespace folded, lowercased."""
    return " ".join(plain(example).split()).lower()


def block_examples(block: Any) -> list[str]:
    """The examples of one `- intent:` block as Rasa reads them (`- ` lines), annotated."""
    out = []
    for line in str(block.get("examples") or "").splitlines():
        stripped = line.strip()
        if stripped.startswith("- "):
            out.append(stripped[2:].strip())
    return out


def parse_examples(text: str) -> dict[str, list[str]]:
    """intent -> annotated examples of one NLU YAML document."""
    doc = yaml.load(text, Loader=_LOADER) or {}
    out: dict[str, list[str]] = {}
    for block in doc.get("nlu", []) or []:
        if isinstance(block, dict) and "intent" in block:
            out.setdefault(str(block["intent"]), []).extend(block_examples(block))
    return out


def read_examples(path: Path) -> dict[str, list[str]]:
    return parse_examples(path.read_text(encoding="utf-8"))


def read_many(paths: Iterable[Path]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in paths:
        for intent, examples in read_examples(path).items():
            out.setdefault(intent, []).extend(examples)
    return out


def training_files(lang: str, root: Path = ROOT) -> list[Path]:
    return sorted((root / "data" / "nlu" / lang).glob("*.yml"))


def training_examples(lang: str, root: Path = ROOT) -> dict[str, list[str]]:
    return read_many(training_files(lang, root))


def heldout_examples(lang: str) -> dict[str, list[str]]:
    path = HELDOUT_DIR / f"{lang}.yml"
    return read_examples(path) if path.exists() else {}


def blind_examples(lang: str) -> dict[str, list[str]]:
    path = BLIND_DIR / f"{lang}.yml"
    return read_examples(path) if path.exists() else {}


@lru_cache(maxsize=1)
def domain() -> dict[str, Any]:
    return dict(yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8")) or {})


def intents() -> list[str]:
    """The contract's intent names, from domain.yml only."""
    return [str(x) for x in domain().get("intents", [])]


def entity_names() -> list[str]:
    return [str(x) for x in domain().get("entities", [])]
