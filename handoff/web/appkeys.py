"""Typed application keys: everything the handlers share lives here."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from handoff.settings import Settings

if TYPE_CHECKING:
    from handoff.accounts.store import AccountStore
    from handoff.cases.csat import Csat
    from handoff.channels.hub import SocketHub
    from handoff.conversations.pipeline import Conversations
    from handoff.conversations.store import ConversationStore
    from handoff.desk.operations import Desk
    from handoff.rasa_client import RasaClient
    from handoff.routing.queue import HandoffStore
    from handoff.trainer.routes import Trainer
    from handoff.translation import Translator

SETTINGS = web.AppKey("settings", Settings)
REDIS = web.AppKey("redis", Redis)
HTTP = web.AppKey("http", aiohttp.ClientSession)
STORE: web.AppKey[ConversationStore] = web.AppKey("store")
RASA: web.AppKey[RasaClient] = web.AppKey("rasa")
CONVERSATIONS: web.AppKey[Conversations] = web.AppKey("conversations")
SOCKETS: web.AppKey[SocketHub] = web.AppKey("sockets")
TRANSLATOR: web.AppKey[Translator] = web.AppKey("translator")
ACCOUNTS: web.AppKey[AccountStore] = web.AppKey("accounts")
HANDOFF: web.AppKey[HandoffStore] = web.AppKey("handoff")
DESK: web.AppKey[Desk] = web.AppKey("desk")
TRAINER: web.AppKey[Trainer] = web.AppKey("trainer")
CSAT: web.AppKey[Csat] = web.AppKey("csat")
