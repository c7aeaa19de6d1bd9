"""Trainer routes for training jobs (start, list, progress stream) and models (activate...)."""

from __future__ import annotations

import asyncio
import json
import re

from aiohttp import web

from handoff.errors import InputError
from handoff.trainer.job_store import TERMINAL
from handoff.trainer.jobs import TrainingJobs
from handoff.trainer.route_common import body_of, trainer_of

JOB_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")
STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")

# ---------------------------------------------------------------- jobs


async def start_job(request: web.Request) -> web.Response:
    t = trainer_of(request)
    body = await body_of(request, optional=True)
    langs = TrainingJobs.languages(body.get("languages"))
    job = await t.jobs.start(langs, request["account"].login)
    return web.json_response({"job": job}, status=202)


async def list_jobs(request: web.Request) -> web.Response:
    return web.json_response({"jobs": await trainer_of(request).jobs.recent()})


def job_id_in(request: web.Request) -> str:
    job_id = request.match_info["job_id"]
    if not JOB_ID.match(job_id):
        raise InputError(404, "unknown_job", f"no training job {job_id!r}")
    return job_id


async def get_job(request: web.Request) -> web.Response:
    return web.json_response({"job": await trainer_of(request).jobs.get(job_id_in(request))})


async def job_events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: every progress event of the job, then the stream ends."""
    t = trainer_of(request)
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


# ---------------------------------------------------------------- models


async def get_models(request: web.Request) -> web.Response:
    return web.json_response(await trainer_of(request).registry.describe())


async def activate_model(request: web.Request) -> web.Response:
    record = await trainer_of(request).registry.activate(
        request.match_info["name"], request["account"].login
    )
    return web.json_response({"activation": record})


async def evaluate_model(request: web.Request) -> web.Response:
    t = trainer_of(request)
    path = t.registry.find(request.match_info["name"])
    if path is None:
        raise InputError(404, "unknown_model", f"no model {request.match_info['name']!r}")
    body = await body_of(request, optional=True)
    langs = TrainingJobs.languages(body.get("languages"))
    job = await t.jobs.start(langs, request["account"].login, evaluate=path)
    return web.json_response({"job": job}, status=202)


async def rollback_model(request: web.Request) -> web.Response:
    record = await trainer_of(request).registry.rollback(request["account"].login)
    return web.json_response({"activation": record})
