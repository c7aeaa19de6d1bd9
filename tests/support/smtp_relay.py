"""A real SMTP relay for tests: aiosmtpd in a thread, keeping every message it receives."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller

from handoff.dev.launcher import free_port


class _Keep:
    def __init__(self, relay: SmtpRelay) -> None:
        self.relay = relay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(msg, EmailMessage)
        with self.relay.changed:
            self.relay.messages.append(msg)
            self.relay.changed.notify_all()
        return "250 OK"


class SmtpRelay:
    """Where the gateway's outbound mail lands (SMTP_URL=relay.url)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.changed = threading.Condition()
        self.controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpRelay:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(
        self, match: Callable[[EmailMessage], bool], timeout: float = 30.0
    ) -> EmailMessage:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = next((m for m in self.messages if match(m)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no matching mail in {timeout} s; got "
                        f"{[(m['To'], m['Subject']) for m in self.messages]}"
                    )
                self.changed.wait(left)

    def to(self, address: str) -> list[EmailMessage]:
        with self.changed:
            return [m for m in self.messages if address in str(m["To"])]
