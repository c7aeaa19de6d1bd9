"""Wiring of the trainer console: the API under /api/trainer/ and its page at /trainer/.

Every API route is registered through `ROUTES` and `trainer_only`, which checks the
trainer role first (401 without a session, 403 without the role), so no route can be
added unguarded. Domain errors map to JSON here: 422 with a list of problems for data that
fails a check, 409 with the current version when a file changed under the trainer. The
handlers live in `overview_routes`, `data_routes`, `inbox_routes` and `training_routes`.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from handoff.accounts import auth
from handoff.trainer import data_routes, inbox_routes, overview_routes, training_routes
from handoff.trainer.example_index import ExampleIndex
from handoff.trainer.files import Conflict, DataRoot, FileWriter
from handoff.trainer.inbox import Inbox
from handoff.trainer.jobs import TrainingJobs
from handoff.trainer.models import ModelRegistry
from handoff.trainer.paths import REPO
from handoff.trainer.problems import ValidationFailed
from handoff.trainer.route_common import Handler, Trainer
from handoff.web import appkeys as K
from handoff.web import hooks

PREFIX = "/api/trainer"
PAGE = Path(__file__).resolve().parent.parent / "web" / "static" / "trainer" / "index.html"


def trainer_only(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        request["account"] = await auth.require(request, "trainer")
        try:
            return await handler(request)
        except ValidationFailed as exc:
            problems = [p.as_dict() for p in exc.problems]
            code = problems[0]["code"] if len(problems) == 1 else "invalid"
            return web.json_response(
                {"error": {"code": code, "message": str(exc), "problems": problems}}, status=422
            )
        except Conflict as exc:
            return web.json_response(
                {
                    "error": {
                        "code": "conflict",
                        "current_version": exc.current_version,
                        "message": f"{exc.name} was changed by someone else since you loaded it: "
                        f"reload, then make your change again",
                    }
                },
                status=409,
            )

    return guarded


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/meta", overview_routes.meta),
    ("GET", "/coverage", overview_routes.get_coverage),
    ("GET", "/nlu/{lang}/{intent}", data_routes.list_examples),
    ("POST", "/nlu/{lang}/{intent}", data_routes.add_example),
    ("PUT", "/nlu/{lang}/{intent}/{file}/{index}", data_routes.edit_example),
    ("DELETE", "/nlu/{lang}/{intent}/{file}/{index}", data_routes.edit_example),
    ("GET", "/responses/{lang}", data_routes.list_responses),
    ("PUT", "/responses/{lang}/{key}", data_routes.edit_response),
    ("GET", "/inbox", inbox_routes.get_inbox),
    ("POST", "/inbox/dismiss", inbox_routes.dismiss_items),
    ("POST", "/inbox/{item_id}/assign", inbox_routes.assign_item),
    ("GET", "/conversations/{conversation_id}", inbox_routes.conversation),
    ("POST", "/jobs", training_routes.start_job),
    ("GET", "/jobs", training_routes.list_jobs),
    ("GET", "/jobs/{job_id}", training_routes.get_job),
    ("GET", "/jobs/{job_id}/events", training_routes.job_events),
    ("GET", "/models", training_routes.get_models),
    ("POST", "/models/rollback", training_routes.rollback_model),
    ("POST", "/models/{name}/activate", training_routes.activate_model),
    ("POST", "/models/{name}/evaluate", training_routes.evaluate_model),
]


async def page(request: web.Request) -> web.StreamResponse:
    if request.path == "/trainer":
        raise web.HTTPFound("/trainer/")
    return web.FileResponse(PAGE, headers={"Cache-Control": "no-store"})


def build(app: web.Application) -> Trainer:
    settings = app[K.SETTINGS]
    redis = app[K.REDIS]
    data = DataRoot(Path(settings.trainer_data_root or REPO).resolve())
    models_dir = Path(settings.models_dir or REPO / "models").resolve()
    registry = ModelRegistry(
        redis, models_dir, settings.rasa_url, settings.keep_models, settings.rasa_token
    )
    return Trainer(
        data=data,
        writer=FileWriter(data),
        index=ExampleIndex(data),
        inbox=Inbox(redis),
        registry=registry,
        jobs=TrainingJobs(redis, data, registry),
    )


def add_routes(app: web.Application) -> None:
    """Call after the app's Redis cleanup context is registered (it needs Redis)."""

    async def trainer_ctx(app: web.Application) -> AsyncIterator[None]:
        app[K.TRAINER] = build(app)
        yield
        await app[K.TRAINER].jobs.shutdown()

    async def stop_streams(app: web.Application) -> None:
        if K.TRAINER in app:
            app[K.TRAINER].closing.set()

    app.cleanup_ctx.append(trainer_ctx)
    hooks.on_shutdown(app, stop_streams)
    for method, path, handler in ROUTES:
        app.router.add_route(method, PREFIX + path, trainer_only(handler))
    app.router.add_get("/trainer", page)
    app.router.add_get("/trainer/", page)
