"""Trainer routes for the console's overview: what it works with, and the coverage matrix."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.language import NATIVE
from handoff import keys
from handoff.trainer import coverage
from handoff.trainer.domain import domain_entities, domain_intents
from handoff.trainer.rasa_train import config_has_epochs
from handoff.trainer.route_common import Trainer, trainer_of


async def meta(request: web.Request) -> web.Response:
    t = trainer_of(request)
    return web.json_response(
        {
            "account": request["account"].public(),
            "languages": list(NATIVE),
            "intents": domain_intents(),
            "entities": domain_entities(),
            "minimum": {lang: coverage.minimum(lang) for lang in NATIVE},
            "files": {lang: list(t.data.nlu_files(lang)) for lang in NATIVE},
            "inbox_threshold": t.inbox.threshold,
            "epochs": config_has_epochs(),
        }
    )


async def latest_evaluation(t: Trainer) -> dict[str, Any] | None:
    """The active model's held-out numbers, else the newest model that has some."""
    active = (await t.registry.active()).get("model")
    last = await t.registry.redis.get(keys.TRAINER_LAST_EVAL)
    candidates = [name for name in (active, last.decode() if last else None) if name]
    candidates += [p.name for p in t.registry.files()]
    for name in candidates:
        evals = await t.registry.all_evals(name)
        if evals:
            return {"model": name, "languages": evals}
    return None


async def get_coverage(request: web.Request) -> web.Response:
    t = trainer_of(request)
    return web.json_response(coverage.matrix(t.index, await latest_evaluation(t)))
