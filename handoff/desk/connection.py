"""One open agent socket: the chats it has open, and how live events reach it."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import web

from handoff import events
from handoff.accounts.store import Account
from handoff.channels.base import Audience

if TYPE_CHECKING:
    from handoff.desk.operations import Desk


class AgentConnection:
    """One agent socket; a sink for the chats it has open."""

    audience: Audience = "agent"

    def __init__(self, desk: Desk, account: Account, ws: web.WebSocketResponse) -> None:
        self.desk = desk
        self.account = account
        self.ws = ws
        self.open: set[str] = set()
        self.lock = asyncio.Lock()  # one writer at a time (hub listener, handler, heartbeat)

    @property
    def closed(self) -> bool:
        return self.ws.closed

    async def send(self, message: dict[str, Any]) -> None:
        async with self.lock:
            if not self.ws.closed:
                await self.ws.send_json(message)

    async def close(self) -> None:
        await self.ws.close()

    async def deliver(self, conv_id: str, message: dict[str, Any]) -> None:
        if message["type"] == events.ENTRY:
            entry = await self.desk.view_entry(message["entry"], self.account.language)
            await self.send({"type": events.ENTRY, "conversation_id": conv_id, "entry": entry})
        elif message["type"] == events.TYPING:
            if message.get("login") != self.account.login:
                await self.send(
                    {
                        "type": events.TYPING,
                        "conversation_id": conv_id,
                        "speaker": message.get("speaker"),
                    }
                )
        else:
            await self.send({**message, "conversation_id": conv_id})
