"""Reading `rasa train` output: progress events from its lines, the last lines for errors.

Rasa prints no overall percentage; what it does print is parsed into events: data
validation, each component starting and finishing (policies are the Core part, the rest
NLU), tqdm epoch bars for components that have epochs (DIET, TED — our TF-IDF+SVM
classifier and RulePolicy have none, and the page says so), and the saved model.
"""

from __future__ import annotations

import re
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_EPOCHS = re.compile(r"Epochs:\s*(\d+)%\|[^|]*\|\s*(\d+)/(\d+)")
_COMPONENT = re.compile(r"(Starting to train|Finished training) component '([^']+)'")
_SAVED = re.compile(r"Your Rasa model is trained and saved at '([^']+)'")
_CLASSIFIER = re.compile(r"trained intent classifier on (\d+) examples, (\d+) intents")


def parse_train_line(line: str) -> dict[str, Any] | None:
    """One line of `rasa train` output as a progress event (None: nothing to show)."""
    line = _ANSI.sub("", line).strip()
    if not line:
        return None
    if m := _EPOCHS.search(line):
        return {
            "type": "epochs",
            "percent": int(m.group(1)),
            "done": int(m.group(2)),
            "total": int(m.group(3)),
        }
    if m := _COMPONENT.search(line):
        name = m.group(2)
        return {
            "type": "component",
            "name": name,
            "state": "started" if m.group(1).startswith("Starting") else "finished",
            "part": "core" if name.endswith("Policy") else "nlu",
        }
    if m := _SAVED.search(line):
        return {"type": "trained", "path": m.group(1)}
    if m := _CLASSIFIER.search(line):
        return {
            "type": "log",
            "message": f"intent classifier fitted on {m.group(1)} examples, "
            f"{m.group(2)} intents (one pass, no epochs)",
        }
    if "Started validating domain and training data" in line:
        return {"type": "log", "message": "Rasa is validating domain and training data"}
    if "rasa.validator" in line and " - " in line:
        return {"type": "log", "message": line.split(" - ", 1)[1]}
    return None


class TrainOutput:
    """Chunks of `rasa train` output in, progress events out. Keeps the last lines that
    are not warnings (`tail`) for the error message of a failed training."""

    def __init__(self) -> None:
        self.tail: list[str] = []
        self._buf = ""
        self._last_epoch: tuple[str, int] | None = None
        self._component = ""

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        self._buf += chunk.decode("utf-8", "replace")
        *lines, self._buf = re.split(r"[\r\n]", self._buf)
        events = []
        for line in lines:
            event = parse_train_line(line)
            if line.strip() and "Warning" not in line and "warn(" not in line:
                self.tail = (self.tail + [_ANSI.sub("", line.strip())[:300]])[-8:]
            if event is None:
                continue
            if event["type"] == "component" and event["state"] == "started":
                self._component = event["name"]
            if event["type"] == "epochs":
                event["component"] = self._component
                if self._last_epoch == (self._component, event["done"]):
                    continue  # tqdm redraws the same epoch many times
                self._last_epoch = (self._component, event["done"])
            events.append(event)
        return events
