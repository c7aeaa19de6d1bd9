"""Domain errors: what went wrong, in words a client can act on, plus the HTTP status.

Domain code raises these; one middleware (`handoff.web.middleware.errors`) turns them into
JSON error responses and socket handlers into `{"type": "error"}` frames. Nothing else in
the gateway builds an error response by hand.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a client should see: `code` is stable, `message` is for people."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status


class InputError(DomainError, ValueError):
    """Bad input from a client (kept with the historical `(status, code, message)` order)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code, message, status)


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Unavailable(DomainError):
    """A part we depend on (Redis, Rasa, the action server) is not answering."""

    status = 503
