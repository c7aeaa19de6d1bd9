"""Complaint keywords per product and issue type, in the shopper's own words and language.

Three modules: `keyword_tokens` (tokenising), `keyword_store` (messages and terms in SQL,
capture at ingestion) and this one (ranking, glosses, `GET /api/reports/keywords`).

Shopper messages reach the reports store with their case: when the cases stream is ingested,
`capture_quietly` copies the shopper's lines of the case's conversation transcript (Redis
keeps those for the conversation retention only) into `case_messages`; generated or imported
history brings its own (`store_messages`). Each message is tokenised once, at write time, and
the distinct uni- and bi-grams of a case go to `case_terms` (lang, term). A request is then
one GROUP BY over `case_terms` joined to `cases` (date range and country filter the cases),
ranked in Python, and cached per database for `CACHE_TTL_S` (or until this process stores
messages): keywords move slowly, and a lead's page refresh must not recount. Storing terms
rather than keyword results keeps every filter combination answerable without a rebuild.

Tokenising works offline: whitespace languages are NFKC-normalised, lowercased and split on
letters (English contractions opened, French/Italian elisions split, French -ée/-és folded
to -é); Arabic loses diacritics and tatweel, alef/yeh/teh marbuta variants fold, and the
article is stripped; Japanese and Thai, written without spaces, are segmented by longest
match against a small shipped lexicon (`keyword_lexicon.yml`) plus the stopwords, Japanese
kanji/katakana runs outside it being words of their own. Stopwords (`keyword_stopwords.yml`)
never count.

Ranking is distinctiveness, not frequency: the log-odds ratio of a term in a cell
(sku, issue type) against every other cell of the same language, with an informative
Dirichlet prior (the language's own counts) and divided by its standard error (a z-score;
Monroe, Colaresi & Quinn 2008). Counts are cases mentioning the term; below `min_count`
a term is not shown. Glosses come from the project's translation layer (Redis-cached);
when it is down, slow or not configured the gloss is null and the keyword is still shown.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import time
import weakref
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from handoff.accounts import auth
from handoff.errors import InputError
from handoff.reports.db import ReportsDB, case_terms, cases
from handoff.reports.keyword_store import version
from handoff.reports.keyword_tokens import LANGS
from handoff.translation import NoTranslator, Translator, translate_or_none
from handoff.web import appkeys as K

LOG = logging.getLogger(__name__)
CACHE_TTL_S = 60.0
GLOSS_BUDGET_S = 2.0  # a request waits this long for glosses; the rest come back null
GLOSS_PARALLEL = 8
DEFAULT_LIMIT, MAX_LIMIT, DEFAULT_MIN_COUNT = 50, 200, 3
EXAMPLES = 3

_cache: weakref.WeakKeyDictionary[ReportsDB, dict[tuple[Any, ...], tuple[float, Any]]] = (
    weakref.WeakKeyDictionary()
)


# --- ranking ------------------------------------------------------------------------------


def _case_filters(filters: Mapping[str, str | None]) -> list[Any]:
    where: list[Any] = []
    if filters.get("from"):
        where.append(cases.c.day >= filters["from"])
    if filters.get("to"):
        where.append(cases.c.day <= filters["to"])
    if filters.get("country"):
        where.append(cases.c.country == filters["country"])
    if filters.get("lang"):
        where.append(case_terms.c.lang == filters["lang"])
    return where


def log_odds(y: int, n: int, total_y: int, total_n: int) -> float | None:
    """z-scored log-odds of a term counted `y` times in a cell of `n` against the rest of a
    corpus (`total_y` of `total_n`), the corpus itself the prior; None when undefined."""
    rest_y, rest_n = total_y - y, total_n - n
    a, a0 = float(total_y), float(total_n)
    left, right = n + a0 - y - a, rest_n + a0 - rest_y - a
    if left <= 0 or right <= 0 or rest_y + a <= 0:
        return None
    delta = math.log((y + a) / left) - math.log((rest_y + a) / right)
    return delta / math.sqrt(1.0 / (y + a) + 1.0 / (rest_y + a))


Cell = tuple[str | None, str | None, str]  # sku, issue type, language


def rank(
    counts: Mapping[Cell, Mapping[str, int]],
    want: Mapping[str, str | None] | None = None,
    min_count: int = DEFAULT_MIN_COUNT,
) -> list[dict[str, Any]]:
    """Terms per cell by distinctiveness against the other cells of their language.
    `want` narrows the cells shown (sku, issue_type), never the comparison."""
    want = want or {}
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sizes: dict[Cell, int] = {}
    for cell, words in counts.items():
        sizes[cell] = sum(words.values())
        for term, n in words.items():
            totals[cell[2]][term] += n
    corpus = {lang: sum(words.values()) for lang, words in totals.items()}
    rows: list[dict[str, Any]] = []
    for cell, words in counts.items():
        sku, issue, lang = cell
        if want.get("sku") and sku != want["sku"]:
            continue
        if want.get("issue_type") and issue != want["issue_type"]:
            continue
        for term, y in words.items():
            if y < min_count:
                continue
            score = log_odds(y, sizes[cell], totals[lang][term], corpus[lang])
            if score is not None and score > 0:
                rows.append({"keyword": term, "lang": lang, "gloss_en": None, "count": y,
                             "score": round(score, 3), "sku": sku, "issue_type": issue,
                             "example_case_ids": []})  # fmt: skip
    # a word only ever seen inside one of the cell's phrases says nothing the phrase does not
    found = {(r["sku"], r["issue_type"], r["lang"], r["keyword"]): r["count"] for r in rows}
    covered = {
        (r["sku"], r["issue_type"], r["lang"], part)
        for r in rows
        if " " in r["keyword"]
        for part in r["keyword"].split(" ")
        if found.get((r["sku"], r["issue_type"], r["lang"], part), math.inf) <= r["count"]
    }
    rows = [r for r in rows if (r["sku"], r["issue_type"], r["lang"], r["keyword"]) not in covered]
    rows.sort(key=lambda r: (-r["score"], -r["count"], r["keyword"], r["sku"] or "", r["lang"]))
    return rows


def keyword_rows(
    db: ReportsDB,
    filters: Mapping[str, str | None],
    limit: int = DEFAULT_LIMIT,
    min_count: int = DEFAULT_MIN_COUNT,
) -> list[dict[str, Any]]:
    """The ranked keywords for these filters (no glosses), cached per database."""
    key = (tuple(sorted((k, v) for k, v in filters.items() if v)), limit, min_count)
    current = version(db)
    cache = _cache.setdefault(db, {})
    hit = cache.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now and hit[1][0] == current:
        return [dict(r, example_case_ids=list(r["example_case_ids"])) for r in hit[1][1]]
    rows = _compute(db, filters, limit, min_count)
    if len(cache) > 128:
        cache.clear()
    cache[key] = (now + CACHE_TTL_S, (current, rows))
    return [dict(r, example_case_ids=list(r["example_case_ids"])) for r in rows]


def _compute(
    db: ReportsDB, filters: Mapping[str, str | None], limit: int, min_count: int
) -> list[dict[str, Any]]:
    sku = sa.func.coalesce(cases.c.sku, "")
    issue = sa.func.coalesce(cases.c.issue_type, "")
    joined = case_terms.join(cases, cases.c.case_id == case_terms.c.case_id)
    where = _case_filters(filters)
    query = (
        sa.select(sku, issue, case_terms.c.lang, case_terms.c.term, sa.func.count())
        .select_from(joined)
        .where(*where)
        .group_by(sku, issue, case_terms.c.lang, case_terms.c.term)
    )
    counts: dict[Cell, dict[str, int]] = defaultdict(dict)
    with db.engine.connect() as conn:
        for s, i, lang, term, n in conn.execute(query):
            counts[(s or None, i or None, lang)][term] = int(n)
    rows = rank(counts, filters, min_count)[:limit]
    if not rows:
        return rows
    wanted = {(r["sku"], r["issue_type"], r["lang"], r["keyword"]): r for r in rows}
    examples = (
        sa.select(sku, issue, case_terms.c.lang, case_terms.c.term, cases.c.case_id)
        .select_from(joined)
        .where(*where, case_terms.c.term.in_(sorted({r["keyword"] for r in rows})))
        .order_by(sa.desc(cases.c.created_at), cases.c.case_id)
    )
    with db.engine.connect() as conn:
        for s, i, lang, term, case_id in conn.execute(examples):
            row = wanted.get((s or None, i or None, lang, term))
            if row is not None and len(row["example_case_ids"]) < EXAMPLES:
                row["example_case_ids"].append(case_id)
    return rows


# --- glosses ------------------------------------------------------------------------------

_pending: set[asyncio.Future[Any]] = set()  # glosses still coming: they fill the cache


async def _gloss(
    translator: Translator, text: str, lang: str, gate: asyncio.Semaphore
) -> str | None:
    async with gate:
        try:
            result = await translate_or_none(translator, text, lang, "en")
        except Exception:  # noqa: BLE001 - a gloss is never worth an error
            LOG.warning("keyword_gloss_failed", exc_info=True)
            return None
    return result.strip() if isinstance(result, str) and result.strip() else None


async def add_glosses(
    rows: list[dict[str, Any]], translator: Translator | None, budget_s: float = GLOSS_BUDGET_S
) -> None:
    """Sets `gloss_en` on each row: the keyword itself for English, the translation when it
    comes within `budget_s`, else None (late ones still land in the translation cache)."""
    wanted = sorted({(r["keyword"], r["lang"]) for r in rows if r["lang"] != "en"})
    glosses: dict[tuple[str, str], str | None] = {}
    if translator is not None and not isinstance(translator, NoTranslator) and wanted:
        gate = asyncio.Semaphore(GLOSS_PARALLEL)
        tasks = {pair: asyncio.ensure_future(_gloss(translator, *pair, gate)) for pair in wanted}
        done, late = await asyncio.wait(tasks.values(), timeout=budget_s)
        for pair, task in tasks.items():
            glosses[pair] = task.result() if task in done else None
        for task in late:
            _pending.add(task)
            task.add_done_callback(_pending.discard)
    for r in rows:
        r["gloss_en"] = (
            r["keyword"] if r["lang"] == "en" else glosses.get((r["keyword"], r["lang"]))
        )


# --- API ----------------------------------------------------------------------------------


def query_date(query: Mapping[str, str], name: str) -> str | None:
    """A `YYYY-MM-DD` query parameter, or None; anything else is a clear 400."""
    value = query.get(name) or None
    if value is not None:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise InputError(400, "bad_date", f"{name} must be YYYY-MM-DD") from None
    return value


def _int(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InputError(400, f"bad_{name}", f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise InputError(400, f"bad_{name}", f"{name} must be from {low} to {high}")
    return value


def parse_query(query: Mapping[str, str]) -> tuple[dict[str, str | None], int, int]:
    filters: dict[str, str | None] = {
        "from": query_date(query, "from"),
        "to": query_date(query, "to"),
    }
    if filters["from"] and filters["to"] and filters["from"] > filters["to"]:
        raise InputError(400, "bad_range", "from must not be after to")
    for name in ("sku", "issue_type", "country", "lang"):
        value = (query.get(name) or "").strip() or None
        if value is not None and len(value) > 120:
            raise InputError(400, f"bad_{name}", f"{name} is too long")
        filters[name] = value
    if filters["lang"] is not None and filters["lang"] not in LANGS:
        raise InputError(400, "bad_lang", f"lang is one of {', '.join(LANGS)}")
    limit = _int(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    min_count = _int(query, "min_count", DEFAULT_MIN_COUNT, 1, 10_000)
    return filters, limit, min_count


def setup(app: web.Application, db_key: web.AppKey[ReportsDB]) -> None:
    """Mounts GET /api/reports/keywords (role lead or admin) on the reports database."""

    async def keywords_route(request: web.Request) -> web.Response:
        await auth.require(request, "lead")
        filters, limit, min_count = parse_query(request.query)
        db = request.app[db_key]
        rows = await db.run(keyword_rows, db, filters, limit, min_count)
        await add_glosses(rows, request.app.get(K.TRANSLATOR))
        return web.json_response({"filters": filters, "rows": rows})

    app.router.add_get("/api/reports/keywords", keywords_route)
