"""Open websockets of this gateway and the Redis pub/sub listener that feeds them."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from typing import Any

from aiohttp import WSCloseCode, web
from redis.asyncio import Redis

from handoff import keys

LOG = logging.getLogger("handoff.sockets")


class SocketHub:
    def __init__(self) -> None:
        self.by_conversation: dict[str, set[web.WebSocketResponse]] = defaultdict(set)

    def add(self, conv_id: str, ws: web.WebSocketResponse) -> None:
        self.by_conversation[conv_id].add(ws)

    def remove(self, conv_id: str, ws: web.WebSocketResponse) -> None:
        sockets = self.by_conversation.get(conv_id)
        if sockets is not None:
            sockets.discard(ws)
            if not sockets:
                self.by_conversation.pop(conv_id, None)

    async def deliver(self, conv_id: str, message: dict[str, Any]) -> None:
        for ws in list(self.by_conversation.get(conv_id, ())):
            if not ws.closed:
                try:
                    await ws.send_json(message)
                except ConnectionResetError:
                    self.remove(conv_id, ws)

    async def close_all(self) -> None:
        for sockets in list(self.by_conversation.values()):
            for ws in list(sockets):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
        self.by_conversation.clear()

    async def listen(self, redis: Redis) -> None:
        """Forward every published transcript entry to the local sockets of its chat."""
        prefix = keys.channel("")
        pubsub = redis.pubsub()
        await pubsub.psubscribe(keys.CHANNEL_PATTERN)
        try:
            while True:
                msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if msg is None:
                    continue
                channel = msg["channel"]
                channel = channel.decode() if isinstance(channel, bytes) else channel
                conv_id = channel[len(prefix):]
                if conv_id in self.by_conversation:
                    data = msg["data"]
                    entry = json.loads(data.decode() if isinstance(data, bytes) else data)
                    await self.deliver(conv_id, {"type": "entry", "entry": entry})
        except asyncio.CancelledError:
            raise
        finally:
            await pubsub.aclose() if hasattr(pubsub, "aclose") else await pubsub.close()
