"""Trainer-editable YAML files: round-trip edits, versions, conflict-safe atomic saves.

Files: `<root>/data/nlu/<lang>/<feature>.yml` (Rasa NLU, one literal `examples: |` block per
intent) and `<root>/data/responses/<lang>.yml` (response copy). ruamel.yaml's round trip
keeps comments, key order, quoting and the literal blocks, so a saved file differs from the
original only where the trainer changed something (every data file of this repository
loads and dumps back byte for byte; the tests check it).

A file's version is the sha256 of its bytes. A save names the version it was based on; if
the file changed since, nothing is written and the caller gets `Conflict` (HTTP 409) with
the current version. Saves are serialised per folder (an asyncio lock within a gateway,
flock on the folder across gateways on one host) and written to a temp file that is then
renamed over the original, so a reader never sees half a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import io
import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.language import NATIVE
from bot.nludata import block_examples, parse_examples
from handoff.errors import InputError

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
LOCK_WAIT_S = 10.0
T = TypeVar("T")


class Conflict(Exception):
    """The file changed after the version the client based its edit on."""

    def __init__(self, name: str, current_version: str) -> None:
        super().__init__(f"{name} was changed by someone else")
        self.name = name
        self.current_version = current_version


def version_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _yaml() -> YAML:
    yml = YAML(typ="rt")
    # (ruamel annotates these attributes as None; they take a bool and an int)
    yml.preserve_quotes = True  # type: ignore[assignment]
    yml.width = 1_000_000  # type: ignore[assignment]  # never fold a long example or reply onto two lines
    yml.indent(mapping=2, sequence=2, offset=0)  # `nlu:` then `- intent:` at column 0
    return yml


def load(raw: bytes) -> Any:
    return _yaml().load(raw.decode("utf-8"))


def dump(doc: Any) -> bytes:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue().encode("utf-8")


# ---------------------------------------------------------------- NLU documents


def example_texts(block: Any) -> list[str]:
    """The examples of one `- intent:` block, as Rasa reads them (`- ` lines)."""
    return block_examples(block)


def quick_examples(raw: bytes) -> dict[str, list[str]]:
    """intent -> examples (for listings and checks; edits go through the round trip)."""
    return parse_examples(raw.decode("utf-8"))


def intent_blocks(doc: Any, intent: str) -> list[Any]:
    return [b for b in (doc.get("nlu") or []) if isinstance(b, dict) and b.get("intent") == intent]


def examples_of(doc: Any, intent: str) -> list[str]:
    return [ex for block in intent_blocks(doc, intent) for ex in example_texts(block)]


def _set_literal(block: Any, text: str) -> None:
    old = block.get("examples")
    new = LiteralScalarString(text)
    if hasattr(old, "comment"):
        new.comment = old.comment  # type: ignore[attr-defined]
    block["examples"] = new


def add_example(doc: Any, intent: str, text: str) -> int:
    """Append to the intent's last block (a new block when the file has none); the index."""
    blocks = intent_blocks(doc, intent)
    if not blocks:
        if doc.get("nlu") is None:
            doc["nlu"] = CommentedSeq()
        doc["nlu"].append(
            CommentedMap([("intent", intent), ("examples", LiteralScalarString(f"- {text}\n"))])
        )
        return 0
    block = blocks[-1]
    current = str(block.get("examples") or "")
    if current and not current.endswith("\n"):
        current += "\n"
    _set_literal(block, f"{current}- {text}\n")
    return len(examples_of(doc, intent)) - 1


def replace_example(
    doc: Any, intent: str, index: int, text: str | None, expected: str | None = None
) -> str:
    """Replace (or, with text None, delete) the index-th example of the intent; returns the
    old text. Lines that are not examples (if any) stay where they are."""
    seen = 0
    for block in intent_blocks(doc, intent):
        raw = str(block.get("examples") or "")
        lines = raw.splitlines(keepends=True)
        for i, line in enumerate(lines):
            stripped = line.strip()
            if not stripped.startswith("- "):
                continue
            if seen == index:
                old = stripped[2:].strip()
                if expected is not None and old != expected:
                    raise InputError(
                        409,
                        "example_moved",
                        f"example {index} is now {old!r}, not {expected!r}; reload",
                    )
                if text is None:
                    del lines[i]
                else:
                    indent = line[: len(line) - len(line.lstrip())]
                    ending = "\n" if line.endswith("\n") else ""
                    lines[i] = f"{indent}- {text}{ending}"
                _set_literal(block, "".join(lines))
                return old
            seen += 1
    raise InputError(404, "unknown_example", f"{intent} has no example number {index}")


# ---------------------------------------------------------------- where files live


@dataclass(frozen=True)
class DataRoot:
    """The folder that holds `data/` (the repository, or a copy in tests)."""

    root: Path

    @property
    def nlu_dir(self) -> Path:
        return self.root / "data" / "nlu"

    @property
    def responses_dir(self) -> Path:
        return self.root / "data" / "responses"

    @staticmethod
    def check_language(lang: str) -> str:
        if lang not in NATIVE:
            raise InputError(
                404,
                "unknown_language",
                f"{lang!r} is not a native language; use one of {', '.join(NATIVE)}",
            )
        return lang

    def nlu_files(self, lang: str) -> dict[str, Path]:
        folder = self.nlu_dir / self.check_language(lang)
        return {p.stem: p for p in sorted(folder.glob("*.yml"))}

    def nlu_path(self, lang: str, feature: str) -> Path:
        if not NAME_RE.match(feature or ""):
            raise InputError(404, "unknown_file", f"no NLU file {feature!r}")
        path = self.nlu_dir / self.check_language(lang) / f"{feature}.yml"
        if not path.is_file():
            raise InputError(404, "unknown_file", f"no NLU file {lang}/{feature}.yml")
        return path

    def responses_path(self, lang: str) -> Path:
        path = self.responses_dir / f"{self.check_language(lang)}.yml"
        if not path.is_file():
            raise InputError(404, "unknown_file", f"no response copy for {lang}")
        return path

    def label(self, path: Path) -> str:
        return str(path.relative_to(self.root))


def read(path: Path) -> tuple[Any, str]:
    raw = path.read_bytes()
    return load(raw), version_of(raw)


# ---------------------------------------------------------------- saving


class FileWriter:
    """Read-check-modify-write of one YAML file with no lost update."""

    def __init__(self, root: DataRoot) -> None:
        self.root = root
        self._locks: dict[Path, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def locked(self, folder: Path) -> AsyncIterator[None]:
        """One writer per folder: a duplicate check over a language's files sees them all
        as they are while the save happens."""
        lock = self._locks.setdefault(folder, asyncio.Lock())
        async with lock:
            fd = os.open(folder, os.O_RDONLY)
            try:
                deadline = time.monotonic() + LOCK_WAIT_S
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise InputError(
                                503, "files_busy", "another save is still running; try again"
                            ) from None
                        await asyncio.sleep(0.02)
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    async def update(
        self, path: Path, base_version: str | None, mutate: Callable[[Any], T]
    ) -> tuple[T, str]:
        """Apply `mutate` to the parsed file and save it. `base_version` None means "the
        latest" (appends from the inbox); otherwise it must match or `Conflict` is raised.
        `mutate` raises to refuse the change: nothing is written then."""
        async with self.locked(path.parent):
            raw = path.read_bytes()
            current = version_of(raw)
            if base_version is not None and base_version != current:
                raise Conflict(self.root.label(path), current)
            doc = load(raw)
            result = mutate(doc)
            out = dump(doc)
            if out != raw:
                atomic_write(path, out)
            return result, version_of(out)


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
