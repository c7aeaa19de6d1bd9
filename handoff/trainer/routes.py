"""HTTP API of the trainer console (/api/trainer/...) and its page (/trainer/).

Every API route is registered through `_route`, which checks the trainer role first
(401 without a session, 403 without the role), so no route can be added unguarded.
Domain errors map to JSON here: 422 with a list of problems for data that fails a check,
409 with the current version when a file changed under the trainer.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.language import NATIVE
from handoff import keys
from handoff.accounts import auth
from handoff.conversations.text import check_conversation_id
from handoff.errors import InputError
from handoff.trainer import coverage, files, validate
from handoff.trainer.files import Conflict, DataRoot, FileWriter
from handoff.trainer.inbox import Inbox
from handoff.trainer.jobs import TERMINAL, TrainingJobs, config_has_epochs
from handoff.trainer.models import REPO, ModelRegistry
from handoff.trainer.validate import ExampleIndex, Occurrence, ValidationFailed
from handoff.web import appkeys as K
from handoff.web import hooks
from handoff.web.requests import read_json

PREFIX = "/api/trainer"
PAGE = Path(__file__).resolve().parent.parent / "web" / "static" / "trainer" / "index.html"
JOB_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")
ITEM_ID = re.compile(r"^[0-9a-f]{16}$")
STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
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


def _t(request: web.Request) -> Trainer:
    return request.app[K.TRAINER]


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
    if intent not in validate.domain_intents():
        raise InputError(404, "unknown_intent", f"{intent!r} is not an intent of domain.yml")
    return intent


def index_in(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 6:
        raise InputError(400, "bad_index", "the example number must be a whole number")
    return int(raw)


def _flag(body: dict[str, Any], name: str) -> bool:
    return body.get(name) is True


# ---------------------------------------------------------------- overview


async def meta(request: web.Request) -> web.Response:
    t = _t(request)
    return web.json_response(
        {
            "account": request["account"].public(),
            "languages": list(NATIVE),
            "intents": validate.domain_intents(),
            "entities": validate.domain_entities(),
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
    t = _t(request)
    return web.json_response(coverage.matrix(t.index, await latest_evaluation(t)))


# ---------------------------------------------------------------- NLU examples


def _target_file(t: Trainer, lang: str, intent: str) -> str:
    """The file new examples of an intent go to: where the language keeps it, else the
    file that holds it in English (same feature split in every language)."""
    for candidate in (lang, "en"):
        owners = [
            p.stem
            for p, ex in t.index.files().items()
            if p.parent.name == candidate and intent in ex
        ]
        if owners:
            return owners[-1]
    raise InputError(404, "no_file_for_intent", f"no NLU file holds {intent} yet")


async def list_examples(request: web.Request) -> web.Response:
    t = _t(request)
    lang = DataRoot.check_language(request.match_info["lang"])
    intent = known_intent(request.match_info["intent"])
    examples, versions = [], {}
    for feature, path in t.data.nlu_files(lang).items():
        raw = path.read_bytes()  # version and listing from the same bytes
        versions[feature] = files.version_of(raw)
        for i, text in enumerate(files.quick_examples(raw).get(intent, [])):
            examples.append({"file": feature, "index": i, "text": text})
    target = _target_file(t, lang, intent)
    return web.json_response(
        {
            "language": lang,
            "intent": intent,
            "examples": examples,
            "versions": versions,
            "target_file": target,
            "minimum": coverage.minimum(lang),
        }
    )


async def _add(
    t: Trainer,
    lang: str,
    intent: str,
    text: object,
    feature: str,
    version: str | None,
    allow_language: bool,
) -> dict[str, Any]:
    path = t.data.nlu_path(lang, feature)

    def mutate(doc: Any) -> dict[str, Any]:
        clean = validate.check_example(t.index, lang, intent, text, allow_language=allow_language)
        return {"file": feature, "index": files.add_example(doc, intent, clean), "text": clean}

    example, new_version = await t.writer.update(path, version, mutate)
    return {
        "language": lang,
        "intent": intent,
        "example": example,
        "file": feature,
        "version": new_version,
    }


async def add_example(request: web.Request) -> web.Response:
    t = _t(request)
    lang = DataRoot.check_language(request.match_info["lang"])
    intent = known_intent(request.match_info["intent"])
    body = await body_of(request)
    feature = body.get("file") or _target_file(t, lang, intent)
    if not isinstance(feature, str):
        raise InputError(400, "bad_file", "'file' must be a file name such as \"tracking\"")
    result = await _add(
        t, lang, intent, body.get("text"), feature, version_in(body), _flag(body, "allow_language")
    )
    return web.json_response(result, status=201)


async def edit_example(request: web.Request) -> web.Response:
    t = _t(request)
    lang = DataRoot.check_language(request.match_info["lang"])
    intent = known_intent(request.match_info["intent"])
    feature, index = request.match_info["file"], index_in(request.match_info["index"])
    path = t.data.nlu_path(lang, feature)
    body = await body_of(request)
    version = version_in(body)
    previous = body.get("previous") if isinstance(body.get("previous"), str) else None
    deleting = request.method == "DELETE"

    def mutate(doc: Any) -> dict[str, Any]:
        if deleting:
            old = files.replace_example(doc, intent, index, None, previous)
            return {"deleted": old}
        clean = validate.check_example(
            t.index,
            lang,
            intent,
            body.get("text"),
            editing=Occurrence(lang, feature, intent, index),
            allow_language=_flag(body, "allow_language"),
        )
        old = files.replace_example(doc, intent, index, clean, previous)
        return {"example": {"file": feature, "index": index, "text": clean}, "previous": old}

    result, new_version = await t.writer.update(path, version, mutate)
    return web.json_response(
        {"language": lang, "intent": intent, "file": feature, "version": new_version, **result}
    )


# ---------------------------------------------------------------- response copy


def _copy(doc: Any) -> Any:
    responses = doc.get("responses")
    if responses is None:
        raise InputError(500, "bad_copy_file", "the copy file has no 'responses:' map")
    return responses


async def list_responses(request: web.Request) -> web.Response:
    t = _t(request)
    lang = DataRoot.check_language(request.match_info["lang"])
    doc, version = files.read(t.data.responses_path(lang))
    english, _ = files.read(t.data.responses_path("en"))
    en_copy, copy = _copy(english), _copy(doc)
    keys_in_order = list(copy) + [k for k in en_copy if k not in copy]
    return web.json_response(
        {
            "language": lang,
            "version": version,
            "responses": [
                {
                    "key": k,
                    "text": str(copy[k]) if k in copy else None,
                    "english": str(en_copy[k]) if k in en_copy else None,
                    "placeholders": sorted(
                        validate.placeholders(str(en_copy.get(k, copy.get(k, ""))))
                    ),
                }
                for k in keys_in_order
            ],
        }
    )


async def edit_response(request: web.Request) -> web.Response:
    t = _t(request)
    lang = DataRoot.check_language(request.match_info["lang"])
    key = request.match_info["key"]
    body = await body_of(request)
    version = version_in(body)
    english_doc, _ = files.read(t.data.responses_path("en"))
    en_copy = _copy(english_doc)
    if not files.NAME_RE.match(key) or key not in en_copy:
        raise InputError(
            404,
            "unknown_key",
            f"{key!r} is not a reply key of the English copy (new keys need code in actions/)",
        )

    def mutate(doc: Any) -> dict[str, Any]:
        copy = _copy(doc)
        clean = validate.check_reply(
            lang,
            key,
            body.get("text"),
            str(en_copy[key]),
            allow_language=_flag(body, "allow_language"),
        )
        old = copy.get(key)
        copy[key] = type(old)(clean) if isinstance(old, str) and type(old) is not str else clean
        return {"key": key, "text": clean, "previous": str(old) if old is not None else None}

    result, new_version = await t.writer.update(t.data.responses_path(lang), version, mutate)
    return web.json_response(
        {
            "language": lang,
            "version": new_version,
            **result,
            "note": "replies are read when the action server starts: "
            "restart it to serve the new copy",
        }
    )


# ---------------------------------------------------------------- review inbox


async def get_inbox(request: web.Request) -> web.Response:
    raw = request.query.get("limit", "300")
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise InputError(400, "bad_limit", "'limit' is a number from 1 to 1000")
    return web.json_response(await _t(request).inbox.groups(int(raw)))


async def assign_item(request: web.Request) -> web.Response:
    t = _t(request)
    item_id = request.match_info["item_id"]
    if not ITEM_ID.match(item_id):
        raise InputError(404, "unknown_item", "no such inbox item")
    body = await body_of(request)
    intent = body.get("intent")
    if not isinstance(intent, str):
        raise InputError(400, "bad_intent", 'send {"intent": "track_order"}')
    known_intent(intent)
    item = await t.inbox.get(item_id)
    if item is None:
        raise InputError(404, "unknown_item", "this message is no longer in the inbox")
    lang = DataRoot.check_language(body.get("language") or item["language"])
    text = body.get("text") if body.get("text") is not None else item["text"]
    result = await _add(
        t, lang, intent, text, _target_file(t, lang, intent), None, _flag(body, "allow_language")
    )
    await t.inbox.resolve([item_id], "assigned", request["account"].login, intent)
    return web.json_response({**result, "item": item_id}, status=201)


async def dismiss_items(request: web.Request) -> web.Response:
    body = await body_of(request)
    ids = body.get("ids")
    if (
        not isinstance(ids, list)
        or not ids
        or len(ids) > 1000
        or not all(isinstance(i, str) and ITEM_ID.match(i) for i in ids)
    ):
        raise InputError(400, "bad_ids", 'send {"ids": [...]} with 1-1000 inbox item ids')
    removed = await _t(request).inbox.resolve(ids, "dismissed", request["account"].login)
    return web.json_response({"dismissed": removed})


async def conversation(request: web.Request) -> web.Response:
    conv_id = check_conversation_id(request.match_info["conversation_id"])
    store = request.app[K.STORE]
    if not await store.exists(conv_id):
        raise InputError(404, "unknown_conversation", f"no conversation {conv_id!r}")
    return web.json_response(
        {
            "conversation_id": conv_id,
            "meta": await store.meta(conv_id),
            "transcript": await store.history(conv_id),
        }
    )


# ---------------------------------------------------------------- train, evaluate, activate


async def start_job(request: web.Request) -> web.Response:
    t = _t(request)
    body = await body_of(request, optional=True)
    langs = TrainingJobs.languages(body.get("languages"))
    job = await t.jobs.start(langs, request["account"].login)
    return web.json_response({"job": job}, status=202)


async def list_jobs(request: web.Request) -> web.Response:
    return web.json_response({"jobs": await _t(request).jobs.recent()})


def job_id_in(request: web.Request) -> str:
    job_id = request.match_info["job_id"]
    if not JOB_ID.match(job_id):
        raise InputError(404, "unknown_job", f"no training job {job_id!r}")
    return job_id


async def get_job(request: web.Request) -> web.Response:
    return web.json_response({"job": await _t(request).jobs.get(job_id_in(request))})


async def job_events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: every progress event of the job, then the stream ends."""
    t = _t(request)
    job_id = job_id_in(request)
    await t.jobs.get(job_id)  # 404 before the stream starts
    last = request.headers.get("Last-Event-ID") or request.query.get("after") or "0-0"
    if not STREAM_ID.match(last):
        raise InputError(400, "bad_event_id", "Last-Event-ID must look like 1700000000000-0")
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await resp.prepare(request)
    idle = 0
    try:
        while not t.closing.is_set():
            events = await t.jobs.events_after(job_id, last, block_ms=1000)
            if not events:
                if (await t.jobs.get(job_id))["state"] in TERMINAL:
                    break
                idle += 1
                if idle % 15 == 0:
                    await resp.write(b": still working\n\n")
                continue
            for event_id, event in events:
                await resp.write(f"id: {event_id}\ndata: {json.dumps(event)}\n\n".encode())
                last = event_id
                if event.get("type") == "end":
                    return resp
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return resp


async def get_models(request: web.Request) -> web.Response:
    return web.json_response(await _t(request).registry.describe())


async def activate_model(request: web.Request) -> web.Response:
    record = await _t(request).registry.activate(
        request.match_info["name"], request["account"].login
    )
    return web.json_response({"activation": record})


async def evaluate_model(request: web.Request) -> web.Response:
    t = _t(request)
    path = t.registry.find(request.match_info["name"])
    if path is None:
        raise InputError(404, "unknown_model", f"no model {request.match_info['name']!r}")
    body = await body_of(request, optional=True)
    langs = TrainingJobs.languages(body.get("languages"))
    job = await t.jobs.start(langs, request["account"].login, evaluate=path)
    return web.json_response({"job": job}, status=202)


async def rollback_model(request: web.Request) -> web.Response:
    record = await _t(request).registry.rollback(request["account"].login)
    return web.json_response({"activation": record})


# ---------------------------------------------------------------- wiring


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
    ("GET", "/meta", meta),
    ("GET", "/coverage", get_coverage),
    ("GET", "/nlu/{lang}/{intent}", list_examples),
    ("POST", "/nlu/{lang}/{intent}", add_example),
    ("PUT", "/nlu/{lang}/{intent}/{file}/{index}", edit_example),
    ("DELETE", "/nlu/{lang}/{intent}/{file}/{index}", edit_example),
    ("GET", "/responses/{lang}", list_responses),
    ("PUT", "/responses/{lang}/{key}", edit_response),
    ("GET", "/inbox", get_inbox),
    ("POST", "/inbox/dismiss", dismiss_items),
    ("POST", "/inbox/{item_id}/assign", assign_item),
    ("GET", "/conversations/{conversation_id}", conversation),
    ("POST", "/jobs", start_job),
    ("GET", "/jobs", list_jobs),
    ("GET", "/jobs/{job_id}", get_job),
    ("GET", "/jobs/{job_id}/events", job_events),
    ("GET", "/models", get_models),
    ("POST", "/models/rollback", rollback_model),
    ("POST", "/models/{name}/activate", activate_model),
    ("POST", "/models/{name}/evaluate", evaluate_model),
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
    registry = ModelRegistry(redis, models_dir, settings.rasa_url, settings.keep_models)
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
