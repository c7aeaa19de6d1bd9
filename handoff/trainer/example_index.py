"""Every NLU training example under a data root and the held-out sets, by duplicate key."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.nludata import key_of
from handoff.trainer.files import DataRoot, quick_examples
from handoff.trainer.paths import HELDOUT_DIR


@dataclass(frozen=True)
class Occurrence:
    language: str
    feature: str
    intent: str
    index: int  # position among the intent's examples in that file


@dataclass
class _Parsed:
    stamp: tuple[int, int]
    examples: dict[str, list[str]] = field(default_factory=dict)


def _parse_examples(path: Path) -> dict[str, list[str]]:
    return quick_examples(path.read_bytes())


class ExampleIndex:
    """Every training example of every language under a data root (re-read only when a
    file changes) and the held-out sets, by duplicate key."""

    def __init__(self, data: DataRoot, heldout_dir: Path = HELDOUT_DIR) -> None:
        self.data = data
        self.heldout_dir = heldout_dir
        self._files: dict[Path, _Parsed] = {}
        self._signature: tuple[Any, ...] = ()
        self._by_key: dict[str, list[Occurrence]] = {}

    def _stamp(self, path: Path) -> tuple[int, int]:
        st = os.stat(path)
        return st.st_mtime_ns, st.st_size

    def files(self) -> dict[Path, dict[str, list[str]]]:
        out = {}
        for path in sorted(self.data.nlu_dir.glob("*/*.yml")):
            stamp = self._stamp(path)
            cached = self._files.get(path)
            if cached is None or cached.stamp != stamp:
                cached = _Parsed(stamp, _parse_examples(path))
                self._files[path] = cached
            out[path] = cached.examples
        return out

    def refresh(self) -> dict[str, list[Occurrence]]:
        files = self.files()
        signature = tuple((p, self._files[p].stamp) for p in files)
        if signature != self._signature:
            by_key: dict[str, list[Occurrence]] = {}
            for path, examples in files.items():
                for intent, texts in examples.items():
                    for i, text in enumerate(texts):
                        by_key.setdefault(key_of(text), []).append(
                            Occurrence(path.parent.name, path.stem, intent, i)
                        )
            self._by_key, self._signature = by_key, signature
        return self._by_key

    def occurrences(self, text: str) -> list[Occurrence]:
        return list(self.refresh().get(key_of(text), []))

    def counts(self) -> dict[str, dict[str, int]]:
        """language -> intent -> number of training examples."""
        out: dict[str, dict[str, int]] = {}
        for path, examples in self.files().items():
            per = out.setdefault(path.parent.name, {})
            for intent, texts in examples.items():
                per[intent] = per.get(intent, 0) + len(texts)
        return out

    @lru_cache(maxsize=32)  # noqa: B019 - one index per app; held-out sets change with code
    def _heldout(self, lang: str, stamp: tuple[int, int]) -> frozenset[str]:
        path = self.heldout_dir / f"{lang}.yml"
        return frozenset(key_of(t) for texts in _parse_examples(path).values() for t in texts)

    def heldout(self, lang: str) -> frozenset[str]:
        path = self.heldout_dir / f"{lang}.yml"
        if not path.exists():
            return frozenset()
        return self._heldout(lang, self._stamp(path))
