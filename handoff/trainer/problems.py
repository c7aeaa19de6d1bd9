"""Errors the trainer reports with details: failed checks (`ValidationFailed`), failed jobs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class ValidationFailed(Exception):
    """An example or reply that fails a check (HTTP 422 with every problem found)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


class JobFailed(Exception):
    """A training job that stopped for a reason the page shows, with its details."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []
