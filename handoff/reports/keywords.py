"""Complaint keywords per product and issue type, in the shopper's own words and language.

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
import re
import time
import unicodedata
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from aiohttp import web
from redis.asyncio import Redis

from handoff import keys
from handoff.accounts import auth
from handoff.errors import InputError
from handoff.reports.db import ReportsDB, case_messages, case_terms, cases
from handoff.translation import NoTranslator, Translator, translate_or_none
from handoff.web import appkeys as K

LOG = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
LANGS = ("en", "es", "fr", "de", "it", "pt", "ar", "ja", "vi", "th")
UNSPACED = frozenset({"ja", "th"})
MIN_LEN = 2  # shorter tokens are noise (elided articles, stray letters)
MAX_MESSAGES = 40  # per case: the shopper's lines kept from a transcript
MAX_TEXT = 1000
CACHE_TTL_S = 60.0
GLOSS_BUDGET_S = 2.0  # a request waits this long for glosses; the rest come back null
GLOSS_PARALLEL = 8
DEFAULT_LIMIT, MAX_LIMIT, DEFAULT_MIN_COUNT = 50, 200, 3
EXAMPLES = 3

# --- tokenising ---------------------------------------------------------------------------

ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                             "ؤ": "و", "ئ": "ي"})  # fmt: skip
ARABIC_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")
NOISE = re.compile(r"https?://\S+|\S+@\S+|\S*\d\S*")  # links, addresses, order numbers, sizes
# without spaces a "chunk" can be a whole sentence: only the numbers themselves go
NOISE_UNSPACED = re.compile(r"https?://\S+|\S+@\S+|[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*|\d+")
BREAKS = re.compile(r"[.,;:!?¿¡()\[\]{}\"“”„«»…/\\|\n\r\t•·،؛؟。、！？「」『』（）]+|\s[-–—]\s")
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")  # hyphenated words stay whole
EN_CONTRACTIONS = (
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'(s|m|re|ve|ll|d)\b"), ""),
)
FR_FOLD = re.compile(r"é(?:e|es|s)$")


def base_lang(lang: str | None) -> str:
    """`pt-BR` -> `pt`; empty -> `en`."""
    return (re.split(r"[-_]", (lang or "").strip().lower())[0] or "en")[:16]


def normalise_arabic(text: str) -> str:
    return ARABIC_MARKS.sub("", text).translate(ARABIC_FOLD)


def _word(token: str, lang: str) -> str:
    token = token.lower()
    if lang == "fr" and len(token) > 4:
        token = FR_FOLD.sub("é", token)
    elif lang == "ar":
        for article in ARABIC_ARTICLES:
            if token.startswith(article) and len(token) - len(article) >= 3:
                token = token[len(article) :]
                break
    return token


@lru_cache(maxsize=1)
def _stopword_file() -> dict[str, list[str]]:
    with (HERE / "keyword_stopwords.yml").open(encoding="utf-8") as fh:
        return {str(k): [str(w) for w in v or []] for k, v in (yaml.safe_load(fh) or {}).items()}


@lru_cache(maxsize=1)
def _lexicon_file() -> dict[str, dict[str, str]]:
    with (HERE / "keyword_lexicon.yml").open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    return {
        str(lang): {
            unicodedata.normalize("NFKC", str(s)): str(t if t else s) for s, t in words.items()
        }
        for lang, words in raw.items()
    }


@lru_cache(maxsize=32)
def stopwords(lang: str) -> frozenset[str]:
    """The language's stopwords, normalised as message words are."""
    out: set[str] = set()
    for word in _stopword_file().get(lang, []):
        word = unicodedata.normalize("NFKC", word)
        if lang in UNSPACED:
            out.add(word)
        else:
            out.update(_word(w, lang) for w in WORD.findall(_prepare(word, lang)))
    return frozenset(out)


@lru_cache(maxsize=4)
def _dictionary(lang: str) -> tuple[dict[str, str], int]:
    """Segmentation words (surface -> keyword) of an unspaced language, and the longest."""
    words = {w: w for w in _stopword_file().get(lang, [])}
    words.update(_lexicon_file().get(lang, {}))
    return words, max((len(w) for w in words), default=1)


def _prepare(text: str, lang: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("ʼ", "'")
    if lang == "ar":
        text = normalise_arabic(text)
    if lang == "en":
        text = text.lower()
        for pattern, repl in EN_CONTRACTIONS:
            text = pattern.sub(repl, text)
    return text.replace("'", " ")


def _script(ch: str) -> str:
    o = ord(ch)
    if 0x3040 <= o <= 0x309F:
        return "hira"
    if 0x30A0 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF:
        return "kata"
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or ch == "々":
        return "kanji"
    if 0x0E00 <= o <= 0x0E7F:
        return "thai"
    if ch.isalpha():
        return "latin"
    return "sep"


def _segment_unspaced(text: str, lang: str) -> list[list[str]]:
    """Longest-match segmentation (lexicon + stopwords); unknown Japanese kanji/katakana
    runs and unknown Thai stretches become words, hiragana outside the lexicon does not."""
    words, longest = _dictionary(lang)
    segments: list[list[str]] = []
    current: list[str] = []
    unknown: list[str] = []

    def flush_unknown() -> None:
        if len(unknown) >= MIN_LEN:
            current.append("".join(unknown).lower())
        unknown.clear()

    def match_at(i: int) -> str | None:
        for size in range(min(longest, len(text) - i), 0, -1):
            if text[i : i + size] in words:
                return text[i : i + size]
        return None

    i = 0
    while i < len(text):
        script = _script(text[i])
        if script == "sep" or text[i].isspace():
            flush_unknown()
            if current:
                segments.append(current)
                current = []
            i += 1
            continue
        found = match_at(i)
        if found is not None:
            flush_unknown()
            current.append(words[found])
            i += len(found)
            continue
        if script == "thai":
            unknown.append(text[i])
            i += 1
            continue
        flush_unknown()
        j = i + 1
        while j < len(text) and _script(text[j]) == script and match_at(j) is None:
            j += 1
        if script != "hira" and j - i >= MIN_LEN:
            current.append(text[i:j].lower())
        i = j
    flush_unknown()
    if current:
        segments.append(current)
    return segments


def tokenize(text: str, lang: str) -> list[list[str]]:
    """The content words of a message, per clause (punctuation ends a clause), stopwords
    removed: `[["lampe", "arrivé", "cassé"], ...]`."""
    lang = base_lang(lang)
    noise = NOISE_UNSPACED if lang in UNSPACED else NOISE
    text = noise.sub(" ", unicodedata.normalize("NFKC", text or ""))
    stop = stopwords(lang)
    out: list[list[str]] = []
    for clause in BREAKS.split(text):
        if lang in UNSPACED:
            parts = _segment_unspaced(clause, lang)
        else:
            parts = [[_word(w, lang) for w in WORD.findall(_prepare(clause, lang))]]
        for words in parts:
            # unspaced: the segmenter already kept only lexicon words and longer runs
            short_ok = lang in UNSPACED
            kept = [w for w in words if (short_ok or len(w) >= MIN_LEN) and w not in stop]
            if kept:
                out.append(kept)
    return out


def terms(text: str, lang: str) -> set[str]:
    """Unigrams and bigrams (adjacent content words of one clause, joined by a space)."""
    found: set[str] = set()
    for clause in tokenize(text, lang):
        found.update(clause)
        found.update(f"{a} {b}" for a, b in zip(clause, clause[1:], strict=False) if a != b)
    return {t for t in found if len(t) <= 200}


# --- storing ------------------------------------------------------------------------------

_versions: weakref.WeakKeyDictionary[ReportsDB, int] = weakref.WeakKeyDictionary()
_cache: weakref.WeakKeyDictionary[ReportsDB, dict[tuple[Any, ...], tuple[float, Any]]] = (
    weakref.WeakKeyDictionary()
)


def _insert(db: ReportsDB, table: sa.Table) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql if db.dialect == "postgresql" else sqlite).insert(table)


def store_messages(db: ReportsDB, messages: Iterable[Mapping[str, Any]]) -> int:
    """Stores shopper messages `{case_id, seq, lang, text}` and their terms; idempotent (a
    message is kept once per (case, seq), a term once per case). Returns messages given."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for m in messages:
        text = str(m.get("text") or "").strip()[:MAX_TEXT]
        if text and m.get("case_id"):
            key = (str(m["case_id"]), int(m.get("seq") or 0))
            rows[key] = {"case_id": key[0], "seq": key[1], "lang": base_lang(m.get("lang")),
                         "text": text}  # fmt: skip
    if not rows:
        return 0
    found = {
        (r["case_id"], r["lang"], term)
        for r in rows.values()
        for term in terms(r["text"], r["lang"])
    }
    term_rows = [{"case_id": c, "lang": lang, "term": t} for c, lang, t in sorted(found)]
    message_rows = [rows[k] for k in sorted(rows)]
    with db.writer.begin() as conn:
        for table, batch in ((case_messages, message_rows), (case_terms, term_rows)):
            for start in range(0, len(batch), 2000):
                conn.execute(
                    _insert(db, table).on_conflict_do_nothing(), batch[start : start + 2000]
                )
    _versions[db] = _versions.get(db, 0) + 1
    return len(rows)


def rebuild_terms(db: ReportsDB) -> int:
    """Re-tokenises every stored message (after the stopwords or the lexicon changed)."""
    with db.engine.connect() as conn:
        stored = [dict(r) for r in conn.execute(sa.select(case_messages)).mappings()]
    with db.writer.begin() as conn:
        conn.execute(case_terms.delete())
    return store_messages(db, stored)


def shopper_messages(case: Mapping[str, Any], transcript: Iterable[Any]) -> list[dict[str, Any]]:
    """The shopper's lines of a transcript (JSON entries) up to the case's creation."""
    import json

    created = float(case.get("created_at") or 0) or math.inf
    out: list[dict[str, Any]] = []
    for raw in transcript:
        try:
            entry = json.loads(raw)
        except (TypeError, ValueError):
            continue
        if not isinstance(entry, dict) or entry.get("speaker") != "shopper":
            continue
        if float(entry.get("at") or 0) > created + 5:  # said after this case was recorded
            continue
        text = entry.get("text")
        if isinstance(text, str) and text.strip():
            lang = entry.get("language") or case.get("language") or "en"
            out.append({"case_id": case["case_id"], "seq": int(entry.get("seq") or len(out)),
                        "lang": lang, "text": text})  # fmt: skip
    return out[-MAX_MESSAGES:]


async def capture(redis: Redis, db: ReportsDB, records: Iterable[Mapping[str, Any]]) -> int:
    """Copies the shopper's messages of each case's conversation into the store."""
    with_conv = [r for r in records if r.get("conversation_id") and r.get("case_id")]
    if not with_conv:
        return 0
    async with redis.pipeline(transaction=False) as pipe:
        for r in with_conv:
            pipe.lrange(keys.transcript(str(r["conversation_id"])), 0, -1)
        transcripts = await pipe.execute()
    messages = [
        m for r, t in zip(with_conv, transcripts, strict=True) for m in shopper_messages(r, t)
    ]
    return await db.run(store_messages, db, messages) if messages else 0


async def capture_quietly(
    redis: Redis, db: ReportsDB, records: Iterable[Mapping[str, Any]]
) -> None:
    """For ingestion: keywords are a nicety, a failure here never holds cases back."""
    try:
        await capture(redis, db, records)
    except Exception:  # noqa: BLE001
        LOG.warning("keyword_capture_failed", exc_info=True)


def store_history(db: ReportsDB, history: Any) -> int:
    """The generated history's cases and their messages (shop.history), for demos and tests."""
    new = db.upsert_cases([db.case_row(r, "import") for r in history.cases])
    store_messages(db, history.messages)
    return new


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
    version = _versions.get(db, 0)
    cache = _cache.setdefault(db, {})
    hit = cache.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now and hit[1][0] == version:
        return [dict(r, example_case_ids=list(r["example_case_ids"])) for r in hit[1][1]]
    rows = _compute(db, filters, limit, min_count)
    if len(cache) > 128:
        cache.clear()
    cache[key] = (now + CACHE_TTL_S, (version, rows))
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


def _date(query: Mapping[str, str], name: str) -> str | None:
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
    filters: dict[str, str | None] = {"from": _date(query, "from"), "to": _date(query, "to")}
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
