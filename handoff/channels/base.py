"""What a channel is: a way shoppers reach us (the widget socket today, email next).

A channel turns what arrives on its wire into `Conversations.shopper_message(...)` calls and
delivers the conversation's live entries back to the shopper. The conversation pipeline,
escalation, routing and the agent desk never know which channel a chat came through.

A new channel: a module here with a class satisfying `Channel`, listed in
`handoff.web.app.CHANNELS`. Per-connection sockets register with the `SocketHub` as a
`Sink`; a store-and-forward channel (email) instead listens for entries itself.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from aiohttp import web

Audience = Literal["shopper", "agent"]


class Sink(Protocol):
    """Something that wants a conversation's live events: a shopper or an agent socket."""

    audience: Audience

    @property
    def closed(self) -> bool: ...

    async def deliver(self, conv_id: str, message: dict[str, Any]) -> None: ...

    async def close(self) -> None: ...


class Channel(Protocol):
    """A way in for shoppers; `add_routes` mounts its endpoints on the gateway."""

    name: str

    def add_routes(self, app: web.Application) -> None: ...
