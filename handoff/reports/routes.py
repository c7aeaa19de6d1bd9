"""Reports API for leads and admins: import past cases, export cases.csv, the summary.

`setup(app)` opens the database (migrations run in a thread, off the event loop), starts this
gateway's ingestion consumer and mounts the routes. Imports are read as a stream and cut off
at `MAX_IMPORT_BYTES` (413); a file with any bad row imports nothing (400 listing the lines).
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from handoff import shopdata
from handoff.accounts import auth
from handoff.errors import InputError
from handoff.reports import (
    breakdowns,
    csvio,
    drilldown,
    keywords,
    kpi_table,
    loss,
    queries,
    summary_groups,
)
from handoff.reports.db import ReportsDB, shipped_from_store, weekly_shipped
from handoff.reports.ingest import ingest_loop
from handoff.routing.config import load_config
from handoff.tasks import stop_tasks
from handoff.web import appkeys as K

log = logging.getLogger(__name__)
DB = web.AppKey("reports_db", ReportsDB)
MAX_IMPORT_BYTES = 20 * 1024 * 1024


async def _read_limited(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise InputError(413, "too_large", f"imports are limited to {limit // 1_048_576} MB")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise InputError(413, "too_large", f"imports are limited to {limit // 1_048_576} MB")
        chunks.append(chunk)
    return b"".join(chunks)


async def import_cases(request: web.Request) -> web.Response:
    await auth.require(request, "lead")
    db = request.app[DB]
    kind = request.content_type
    if kind not in ("text/csv", "application/x-ndjson", "application/jsonl"):
        raise InputError(415, "bad_type", "send text/csv or application/x-ndjson")
    raw = await _read_limited(request, MAX_IMPORT_BYTES)
    issue_types = load_config().issue_types
    result = await db.run(csvio.parse_import, raw, kind != "text/csv", issue_types, db.zone)
    if result.problems:
        return web.json_response(
            {
                "error": "bad_file",
                "message": "nothing was imported; fix these lines and send the file again",
                "problems": result.problems,
                "unknown_columns": result.unknown_columns,
            },
            status=400,
        )

    def store() -> int:
        rows = [db.case_row(r, "import") for r in result.records]
        with db.writer.begin() as conn:  # one transaction: all rows or none
            return db.upsert_cases(rows, conn)

    new = await db.run(store)
    return web.json_response({"rows": len(result.records), "new": new})


def _csv_text(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


async def export_cases(request: web.Request) -> web.StreamResponse:
    await auth.require(request, "lead")
    db = request.app[DB]
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="cases.csv"',
        }
    )
    await resp.prepare(request)
    await resp.write(b"\xef\xbb\xbf" + _csv_text([list(queries.CASE_COLUMNS)]))
    pages = queries.case_pages(db)
    while (page := await db.run(next, pages, None)) is not None:
        lines = []
        for row in page:
            row["created_at"] = csvio.iso_time(row["created_at"])
            lines.append([csvio.safe_cell(row[name]) for name in queries.CASE_COLUMNS])
        await resp.write(_csv_text(lines))
    await resp.write_eof()
    return resp


def _date(request: web.Request, name: str) -> str | None:
    return keywords.query_date(request.query, name)


async def summary(request: web.Request) -> web.Response:
    """The summary: grouped as the page shows it with `group` (and `top`), else every
    (issue type, SKU, country, week) cell plus the KPIs (the raw form, kept for scripts)."""
    await auth.require(request, "lead")
    db = request.app[DB]
    if "group" in request.query:
        return await _grouped(request, db)
    filters: dict[str, str | None] = {
        "from": _date(request, "from"),
        "to": _date(request, "to"),
        **{n: request.query.get(n) or None for n in breakdowns.FILTERS if n not in ("from", "to")},
    }
    table = await db.run(queries.summary_table, db, filters)
    kpis = await db.run(queries.kpis, db, filters["from"], filters["to"])
    body: dict[str, Any] = {"filters": filters, "rows": table, "kpis": kpis}
    return web.json_response(body)


async def _grouped(request: web.Request, db: ReportsDB) -> web.Response:
    filters = _filters(request, breakdowns.FILTERS, ("group", "top"))
    try:
        group = summary_groups.parse_group(request.query["group"])
    except ValueError as err:
        raise InputError(400, "bad_group", str(err)) from None
    raw = request.query.get("top") or str(summary_groups.DEFAULT_TOP)
    if not raw.isdigit() or not 1 <= int(raw) <= summary_groups.MAX_TOP:
        raise InputError(400, "bad_top", f"top must be 1 to {summary_groups.MAX_TOP}")
    body = await db.run(summary_groups.grouped_summary, db, filters, group, int(raw))
    return web.json_response({"filters": filters, **body})


def _filters(
    request: web.Request, allowed: tuple[str, ...], extra: tuple[str, ...] = ()
) -> dict[str, str | None]:
    """The report filters of a query string: unknown names and bad dates are a 400."""
    unknown = sorted(set(request.query) - set(allowed) - set(extra))
    if unknown:
        raise InputError(
            400,
            "unknown_filter",
            f"unknown parameter {', '.join(unknown)}; filters are {', '.join(allowed)}",
        )
    filters: dict[str, str | None] = {n: request.query.get(n) or None for n in allowed}
    filters["from"], filters["to"] = _date(request, "from"), _date(request, "to")
    if filters["from"] and filters["to"] and filters["from"] > filters["to"]:
        raise InputError(400, "bad_date", "from must not be after to")
    return filters


def _choice(request: web.Request, name: str, choices: tuple[str, ...], default: str) -> str:
    value = request.query.get(name) or default
    if value not in choices:
        raise InputError(400, f"bad_{name}", f"{name} must be one of {', '.join(choices)}")
    return value


Handler = Callable[[web.Request], Awaitable[web.Response]]
Section = Callable[[ReportsDB, Mapping[str, str | None], str], Any]


def _section(fn: Section, choices: tuple[str, ...], default: str) -> Handler:
    """A reports page section (trend, loss, KPI table): lead/admin, the page's filters and
    one `by` choice, computed off the event loop."""

    async def handler(request: web.Request) -> web.Response:
        await auth.require(request, "lead")
        db = request.app[DB]
        filters = _filters(request, breakdowns.FILTERS, ("by",))
        by = _choice(request, "by", choices, default)
        return web.json_response(await db.run(fn, db, filters, by))

    return handler


trend = _section(breakdowns.trend, breakdowns.TREND_BY, "issue_type")
loss_rows = _section(loss.loss, breakdowns.LOSS_BY, "issue_type")
kpi_rows = _section(kpi_table.kpis, breakdowns.KPI_BY, "all")


async def case_list(request: web.Request) -> web.Response:
    await auth.require(request, "lead")
    db = request.app[DB]
    filters = _filters(request, breakdowns.FILTERS, ("metric", "limit", "after"))
    metric = request.query.get("metric") or None
    if metric is not None and metric not in breakdowns.METRICS:
        raise InputError(
            400, "bad_metric", f"metric must be one of {', '.join(breakdowns.METRICS)}"
        )
    raw = request.query.get("limit") or "50"
    if not raw.isdigit() or not 1 <= int(raw) <= breakdowns.MAX_LIMIT:
        raise InputError(400, "bad_limit", f"limit must be 1 to {breakdowns.MAX_LIMIT}")
    after = request.query.get("after") or None
    if after is not None:
        try:
            drilldown.decode_cursor(after)
        except ValueError:
            raise InputError(
                400, "bad_cursor", "after must be a `next` cursor from this list"
            ) from None
    body = await db.run(drilldown.case_list, db, filters, metric, int(raw), after)
    return web.json_response(body)


def _seed_shipped(db: ReportsDB) -> None:
    """Orders shipped from the shop's orders, when nothing has been loaded yet."""
    if db.count(weekly_shipped):
        return
    try:
        rows = shipped_from_store(shopdata.store())
    except Exception:  # noqa: BLE001 - no shop data: complaint rates stay unknown
        log.warning("reports: no shop orders to count orders shipped from", exc_info=True)
        return
    db.put_shipped(rows)


async def reports_ctx(app: web.Application) -> AsyncIterator[None]:
    db = await asyncio.get_running_loop().run_in_executor(None, ReportsDB)
    app[DB] = db
    await db.run(_seed_shipped, db)
    settings = app[K.SETTINGS]
    task = asyncio.create_task(ingest_loop(app[K.REDIS], db, settings.instance))
    yield
    await stop_tasks([task])
    db.engine.dispose()


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(reports_ctx)
    app.router.add_post("/api/reports/import", import_cases)
    app.router.add_get("/api/reports/cases.csv", export_cases)
    app.router.add_get("/api/reports/summary", summary)
    app.router.add_get("/api/reports/trend", trend)
    app.router.add_get("/api/reports/loss", loss_rows)
    app.router.add_get("/api/reports/kpis", kpi_rows)
    app.router.add_get("/api/reports/cases", case_list)
    keywords.setup(app, DB)
