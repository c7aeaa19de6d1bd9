"""Open websockets of this gateway and the Redis pub/sub listener that feeds them.

Every gateway subscribes to all conversation channels, the agents' channels and the queue
channel; it forwards what it hears to the sockets it holds (a shopper on gateway A and the
agent on gateway B both see every entry, in transcript order, once) and to its listeners
(the desk: queue and agent events; the email channel: every conversation's entries). One
subscription and one reconnect loop per gateway, whatever listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from handoff import keys
from handoff.channels.base import Sink

LOG = logging.getLogger("handoff.channels")


def event_message(data: dict[str, Any]) -> dict[str, Any]:
    """A channel payload as the socket message: transcript entries carry a seq, ephemeral
    events (typing, mode changes) an "event" name."""
    if "event" in data:
        return {"type": data["event"], **{k: v for k, v in data.items() if k != "event"}}
    return {"type": "entry", "entry": data}


class SocketHub:
    def __init__(self) -> None:
        self.by_conversation: dict[str, set[Sink]] = defaultdict(set)
        self.queue_listeners: list[Callable[[str], Awaitable[None]]] = []
        self.agent_listeners: list[Callable[[str, dict[str, Any]], Awaitable[None]]] = []
        # every conversation's entries and events, socket or not (store-and-forward
        # channels such as email); a listener must return quickly (spawn slow work)
        self.entry_listeners: list[Callable[[str, dict[str, Any]], Awaitable[None]]] = []
        self.listening = False  # the pub/sub listener is subscribed (reported by /healthz)

    def add(self, conv_id: str, sink: Sink) -> None:
        self.by_conversation[conv_id].add(sink)

    def remove(self, conv_id: str, sink: Sink) -> None:
        sinks = self.by_conversation.get(conv_id)
        if sinks is not None:
            sinks.discard(sink)
            if not sinks:
                self.by_conversation.pop(conv_id, None)

    async def deliver(self, conv_id: str, message: dict[str, Any]) -> None:
        for sink in list(self.by_conversation.get(conv_id, ())):
            if sink.closed:
                self.remove(conv_id, sink)
                continue
            try:
                await sink.deliver(conv_id, message)
            except (ConnectionResetError, RuntimeError):
                self.remove(conv_id, sink)
            except Exception:  # one broken socket must not stop the others
                LOG.exception("deliver_failed", extra={"conversation_id": conv_id})

    async def close_shoppers(self, conv_id: str) -> int:
        """Close this gateway's shopper sockets of one chat (tests, admin)."""
        shoppers = [s for s in self.by_conversation.get(conv_id, ()) if s.audience == "shopper"]
        for sink in shoppers:
            await sink.close()
        return len(shoppers)

    async def close_all(self) -> None:
        for sinks in list(self.by_conversation.values()):
            for sink in list(sinks):
                await sink.close()
        self.by_conversation.clear()

    async def _dispatch(self, channel: str, data: bytes | str) -> None:
        text = data.decode() if isinstance(data, bytes) else data
        if channel == keys.QUEUE_CHANNEL:
            for listener in self.queue_listeners:
                await listener(text)
        elif channel.startswith(keys.agent_channel("")):
            login = channel[len(keys.agent_channel("")) :]
            for agent_listener in self.agent_listeners:
                await agent_listener(login, json.loads(text))
        else:
            conv_id = channel[len(keys.channel("")) :]
            if conv_id not in self.by_conversation and not self.entry_listeners:
                return
            payload = json.loads(text)
            for entry_listener in self.entry_listeners:
                try:
                    await entry_listener(conv_id, payload)
                except Exception:  # noqa: BLE001 - one listener must not starve the sockets
                    LOG.exception("entry_listener_failed", extra={"conversation_id": conv_id})
            if conv_id in self.by_conversation:
                await self.deliver(conv_id, event_message(payload))

    async def listen(self, redis: Redis) -> None:
        """Forward everything published on our channels to the local sockets; when Redis
        goes away, resubscribe with jittered backoff (entries published meanwhile are in
        the transcripts: sockets catch up from `after` when they reconnect)."""
        delay = 0.2
        while True:
            pubsub = redis.pubsub()
            try:
                await pubsub.psubscribe(keys.CHANNEL_PATTERN, keys.AGENT_CHANNEL_PATTERN)
                await pubsub.subscribe(keys.QUEUE_CHANNEL)
                if not self.listening:
                    LOG.info("pubsub_listening")
                self.listening, delay = True, 0.2
                while True:
                    msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if msg is None:
                        continue
                    channel = msg["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    try:
                        await self._dispatch(channel, msg["data"])
                    except Exception:  # noqa: BLE001 - the listener must survive bad payloads
                        LOG.exception("pubsub_dispatch_failed", extra={"channel": channel})
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self.listening = False
                LOG.warning("pubsub_lost", extra={"error": repr(exc), "retry_in_s": delay})
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.close()
