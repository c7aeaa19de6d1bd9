"""Complaint keywords, storage: shopper messages of cases and the terms found in them.

When the cases stream is ingested, `capture_quietly` copies the shopper's lines of each
case's conversation transcript (Redis keeps those for the conversation retention only) into
`case_messages`; generated or imported history brings its own (`store_messages`). Each
message is tokenised once, at write time, and the distinct uni- and bi-grams of a case go to
`case_terms` (lang, term), so a count is the cases that mention a term. Writes are
idempotent (a message once per (case, seq), a term once per case): a replay changes nothing.
"""

from __future__ import annotations

import json
import logging
import math
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.dialects import postgresql, sqlite

from handoff import keys
from handoff.reports.db import ReportsDB, case_messages, case_terms
from handoff.reports.keyword_tokens import base_lang, terms

LOG = logging.getLogger(__name__)
MAX_MESSAGES = 40  # per case: the shopper's lines kept from a transcript
MAX_TEXT = 1000

_versions: weakref.WeakKeyDictionary[ReportsDB, int] = weakref.WeakKeyDictionary()


def version(db: ReportsDB) -> int:
    """Bumped whenever this process stores messages (read caches key on it)."""
    return _versions.get(db, 0)


def _insert(db: ReportsDB, table: sa.Table) -> Any:
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
    _versions[db] = version(db) + 1
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
