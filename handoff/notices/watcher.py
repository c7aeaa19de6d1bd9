"""The notice watcher: one per deployment, telling each shipment problem once.

Each pass scans the shop's open orders (`ShopStore.open_orders`: not delivered, cancelled
or returned), not every order: a settled order has no shipment left to go wrong.
Every gateway runs the loop; only the leader scans (a Redis key held with a TTL and renewed
while it lives, so a dead leader is replaced within `every_s * 3`). Even two scans at once
could not tell a problem twice: each notice is claimed with SET NX before it is written.
A shopper with a conversation about the order gets the notice there, in their language, as
a bot entry (live if the widget is open, in the history on their next visit); one without
gets it queued for email (`keys.NOTICE_OUTBOX`, sent by the email channel).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from bot import copy
from handoff import keys, shopdata
from handoff.cases.events import Event, EventBus
from handoff.conversations.store import ConversationStore
from handoff.leader import Lease, run_as_leader
from handoff.notices.detect import Notice, due

LOG = logging.getLogger("handoff.notices")


class NoticeWatcher:
    def __init__(
        self,
        redis: Redis,
        store: ConversationStore,
        instance: str,
        every_s: float = 300.0,
        lookback: timedelta = timedelta(days=3),
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.redis, self.store, self.instance = redis, store, instance
        self.every_s, self.lookback = every_s, lookback
        self.now = now or (lambda: shopdata.store().now())
        self.events = EventBus(redis)
        self.lease = Lease(redis, keys.NOTICE_LEADER, instance, every_s)

    async def lead(self) -> bool:
        """True while this gateway is the one that scans."""
        return await self.lease.held()

    async def scan_once(self) -> list[dict[str, Any]]:
        """Tell every new problem; what was told (for logs and tests)."""
        now = self.now()
        # only orders whose shipment can still go wrong: not the delivered majority
        orders = shopdata.store().open_orders()
        notices = await asyncio.get_running_loop().run_in_executor(
            None, due, orders, shopdata.route_stats(), now, self.lookback
        )
        told = []
        for notice in notices:
            claimed = await self.redis.set(
                keys.notice_sent(notice.notice_id), self.instance, nx=True,
                ex=self.store.retention_s or None,
            )  # fmt: skip
            if claimed:
                told.append(await self.tell(notice))
        return told

    async def tell(self, notice: Notice) -> dict[str, Any]:
        raw = await self.redis.get(keys.order_conversation(notice.order_id))
        conv_id = raw.decode() if isinstance(raw, bytes) else raw
        meta = await self.store.meta(conv_id) if conv_id else {}
        lang = meta.get("language") or shopdata.country_language(notice.country) or "en"
        lang = lang if lang in copy.NATIVE else "en"
        text = copy.render(notice.copy_key, lang, **notice.params(lang))
        record = {"notice_id": notice.notice_id, "order_id": notice.order_id,
                  "kind": notice.kind, "language": lang}  # fmt: skip
        if conv_id and meta:
            entry = {"speaker": "bot", "text": text, "language": lang, "notice": notice.kind}
            await self.store.append(conv_id, entry)
            channel = "chat"
        else:
            order = shopdata.store().get_order(notice.order_id)
            subject = copy.render("notice_subject", lang, order_id=notice.order_id)
            mail = {**record, "to": order.email if order else None, "subject": subject,
                    "text": text}  # fmt: skip
            await self.redis.rpush(keys.NOTICE_OUTBOX, json.dumps(mail, ensure_ascii=False))
            channel = "email"
        await self.events.emit(
            Event("notice_sent", conv_id, {**record, "channel": channel, "exception": notice.kind})
        )
        LOG.info("notice_sent", extra={**record, "channel": channel, "conversation_id": conv_id})
        return {**record, "channel": channel, "conversation_id": conv_id, "text": text}

    async def run_forever(self) -> None:
        # a bad order must not stop notices for everyone else: run_as_leader logs, goes on
        await run_as_leader(self.lease, self.scan_once, self.every_s, LOG, "notice_scan")
