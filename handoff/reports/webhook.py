"""New alerts to `ALERT_WEBHOOK_URL`: Slack-compatible JSON, off the watcher's path.

The body is `{"text": <the alert's sentence>, "alert": {...}}` (Slack and most chat tools
show `text`; other receivers read `alert`). Each delivery runs as its own task with a
per-attempt timeout and capped exponential backoff with jitter; a 5xx, a 429 or a network
error is retried, another 4xx is not (the receiver refuses it for good). Failures are
logged and never raised: a broken webhook must not stop alerts reaching the console.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

import aiohttp

LOG = logging.getLogger("handoff.reports.webhook")


def payload(alert: dict[str, Any], public_url: str) -> dict[str, Any]:
    link = public_url.rstrip("/") + str(alert.get("cases_url", ""))
    return {"text": f"{alert['text']} <{link}|cases>", "alert": alert}


class Webhook:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        public_url: str = "",
        attempts: int = 4,
        timeout_s: float = 5.0,
        backoff_s: float = 1.0,
    ) -> None:
        self.session, self.url, self.public_url = session, url, public_url
        self.attempts, self.timeout_s, self.backoff_s = attempts, timeout_s, backoff_s
        self.tasks: set[asyncio.Task[bool]] = set()

    def send_later(self, alert: dict[str, Any]) -> None:
        """Starts a delivery in the background (the caller never waits for the receiver)."""
        task = asyncio.create_task(self.deliver(alert))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def deliver(self, alert: dict[str, Any]) -> bool:
        body = payload(alert, self.public_url)
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        for attempt in range(1, self.attempts + 1):
            try:
                async with self.session.post(self.url, json=body, timeout=timeout) as resp:
                    if resp.status < 300:
                        LOG.info("alert_webhook_sent", extra={"alert_id": alert.get("alert_id")})
                        return True
                    retry = resp.status >= 500 or resp.status == 429
                    problem = f"HTTP {resp.status}"
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                retry, problem = True, repr(exc)
            LOG.warning(
                "alert_webhook_failed",
                extra={"alert_id": alert.get("alert_id"), "attempt": attempt, "error": problem},
            )
            if not retry or attempt == self.attempts:
                return False
            delay = min(30.0, self.backoff_s * 2 ** (attempt - 1))
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
        return False

    async def close(self) -> None:
        """Waits briefly for deliveries in flight, then cancels the rest (shutdown)."""
        if self.tasks:
            _done, pending = await asyncio.wait(set(self.tasks), timeout=2.0)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
