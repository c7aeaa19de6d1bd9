"""Shared by the trainer's route modules: the `Trainer` state on the app, request parsing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from handoff.errors import InputError
from handoff.trainer.domain import domain_intents
from handoff.trainer.example_index import ExampleIndex
from handoff.trainer.files import DataRoot, FileWriter
from handoff.trainer.inbox import Inbox
from handoff.trainer.jobs import TrainingJobs
from handoff.trainer.models import ModelRegistry
from handoff.web import appkeys as K
from handoff.web.requests import read_json

VERSION = re.compile(r"^[0-9a-f]{64}$")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Trainer:
    data: DataRoot
    writer: FileWriter
    index: ExampleIndex
    inbox: Inbox
    registry: ModelRegistry
    jobs: TrainingJobs
    closing: asyncio.Event = field(default_factory=asyncio.Event)


def trainer_of(request: web.Request) -> Trainer:
    trainer: Trainer = request.app[K.TRAINER]
    return trainer


async def body_of(request: web.Request, optional: bool = False) -> dict[str, Any]:
    if optional and not await request.read():
        return {}
    return await read_json(request)


def version_in(body: dict[str, Any]) -> str:
    version = body.get("version")
    if not isinstance(version, str) or not VERSION.match(version):
        raise InputError(
            400, "missing_version", "send the 'version' of the file you edited (from the last GET)"
        )
    return version


def known_intent(intent: str) -> str:
    if intent not in domain_intents():
        raise InputError(404, "unknown_intent", f"{intent!r} is not an intent of domain.yml")
    return intent


def index_in(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 6:
        raise InputError(400, "bad_index", "the example number must be a whole number")
    return int(raw)


def flag(body: dict[str, Any], name: str) -> bool:
    return body.get(name) is True
