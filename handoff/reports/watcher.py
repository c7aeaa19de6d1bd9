"""The alert watcher: one per deployment, telling each new red-light alert once.

Every gateway runs the loop; only the leader computes (a Redis key held with a TTL and
renewed while it lives, as the notice watcher does, so a dead leader is replaced within
`every_s * 3`). Even two computations at once could not tell an alert twice: an alert is new
only for the one INSERT that stores its row (`lifecycle.record_new`). A new alert goes to
every lead and admin on their own agent channel (whichever gateway holds their console
socket shows it) and, when `ALERT_WEBHOOK_URL` is set, to the webhook in the background.
The same leader mails the weekly digest (`digest.DigestMailer`), once per week.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from redis.asyncio import Redis

from handoff import events, keys
from handoff.accounts.store import AccountStore
from handoff.leader import Lease, run_as_leader
from handoff.reports import lifecycle
from handoff.reports.db import ReportsDB
from handoff.reports.webhook import Webhook

LOG = logging.getLogger("handoff.reports.watcher")


class WeeklyJob(Protocol):
    async def maybe_send(self) -> bool: ...


def frame_alert(alert: dict[str, Any]) -> dict[str, Any]:
    """What the console and the webhook get: the sentence, the cell, the numbers, the links."""
    names = ("alert_id", "week", "text", "sku", "country", "supplier", "issue_type", "count",
             "baseline_per_week", "rate_ratio", "p", "state", "cases_url", "cases_api")  # fmt: skip
    return {n: alert.get(n) for n in names} | {"case_ids": list(alert.get("case_ids", ()))[:50]}


class AlertWatcher:
    def __init__(
        self,
        redis: Redis,
        db: ReportsDB,
        accounts: AccountStore,
        instance: str,
        every_s: float = 300.0,
        webhook: Webhook | None = None,
        digest: WeeklyJob | None = None,
    ) -> None:
        self.redis, self.db, self.accounts, self.instance = redis, db, accounts, instance
        self.every_s, self.webhook, self.digest = every_s, webhook, digest
        # a computation may outlast a tiny period: the lease lives at least a second
        self.lease = Lease(redis, keys.ALERTS_LEADER, instance, every_s, min_ttl_ms=1000)

    async def lead(self) -> bool:
        """True while this gateway is the one that computes."""
        return await self.lease.held()

    async def scan_once(self) -> list[dict[str, Any]]:
        """Computes this week's alerts and tells the new ones; returns what was told."""
        found, week = await self.db.run(lifecycle.current_alerts, self.db)
        fresh = await self.db.run(lifecycle.with_states, self.db, found, week)
        new = await self.db.run(lifecycle.record_new, self.db, fresh, week)
        told = []
        for alert in new:
            frame = frame_alert({**alert, **lifecycle.cases_link(alert), "state": "open"})
            await self.push(frame)
            told.append(frame)
        return told

    async def push(self, frame: dict[str, Any]) -> None:
        leads = [a.login for a in await self.accounts.all() if a.has("lead")]
        message = json.dumps({"event": events.ALERT, "alert": frame}, ensure_ascii=False)
        for login in leads:
            await self.redis.publish(keys.agent_channel(login), message)
        if self.webhook is not None:
            self.webhook.send_later(frame)
        LOG.info("alert_new", extra={"alert_id": frame["alert_id"], "leads": len(leads)})

    async def pass_once(self) -> None:
        await self.scan_once()
        if self.digest is not None:
            await self.digest.maybe_send()

    async def run_forever(self) -> None:
        # a database hiccup must not end alerting for good: run_as_leader logs and goes on
        await run_as_leader(self.lease, self.pass_once, self.every_s, LOG, "alert_scan")
