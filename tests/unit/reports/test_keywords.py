"""Complaint keywords: tokenising per language, stopwords, distinctive ranking, glosses
(a fake translator, the real translation layer against a local LibreTranslate, translation
down), capture from real Redis transcripts, and GET /api/reports/keywords on both backends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from handoff.cases.schema import Case
from handoff.cases.writer import CaseWriter
from handoff.conversations.store import ConversationStore
from handoff.dev.gateway import dev_extras
from handoff.reports import keyword_store as ks
from handoff.reports import keyword_tokens as kt
from handoff.reports import keywords as kw
from handoff.reports.db import ReportsDB, case_messages, case_terms
from handoff.reports.ingest import Ingestor
from handoff.settings import Settings
from handoff.translation import NoTranslator, TranslationUnavailable, Translator
from handoff.web.app import create_app
from shop.history import DRESS, LAMP, generate_history
from tests.support.fake_libretranslate import FakeLibreTranslate
from tests.support.staff import bearer

END = datetime(2030, 1, 7, tzinfo=timezone.utc)  # the generated history's last week ends here
LAST_TWO_WEEKS = "2029-12-24"


# --- tokenising -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "Hello, my order XH-3000123 smells bad and it isn't what I ordered. Please help!",
         [["smells", "bad", "not"]]),
        ("fr", "Bonjour, ma commande : la lampe est arrivée cassée, l'abat-jour aussi. Merci",
         [["lampe", "arrivé", "cassé"], ["abat-jour"]]),
        ("de", "Die Lampe ist kaputt angekommen, danke.", [["lampe", "kaputt", "angekommen"]]),
        ("es", "Hola, el pedido llegó roto.", [["llegó", "roto"]]),
        ("it", "Il vestito è arrivato rotto", [["vestito", "arrivato", "rotto"]]),
        ("pt", "O vestido veio rasgado", [["vestido", "veio", "rasgado"]]),
        ("vi", "Hàng giả, mùi hôi quá!", [["giả"], ["mùi", "hôi"]]),
        # diacritics and tatweel gone, alef/teh marbuta folded, the article stripped
        ("ar", "المصباحُ مكسورةٌ، أريد إرجاعه", [["مصباح", "مكسوره"], ["ارجاعه"]]),
        ("ar", "المصبـــاح مكسوره اريد ارجاعه", [["مصباح", "مكسوره", "ارجاعه"]]),
        # no spaces: lexicon stems as their keyword, kanji/katakana runs, hiragana dropped
        ("ja", "こんにちは。ランプが壊れていました。", [["ランプ", "壊れた"]]),
        ("ja", "サイズが小さすぎます", [["サイズ", "小さい", "すぎる"]]),
        ("ja", "ｻｲｽﾞが小さい", [["サイズ", "小さい"]]),  # half-width katakana folded (NFKC)
        # numbers go, not the sentence around them (no spaces to end a chunk)
        ("ja", "3日待っても届かない。注文番号XH-3000123です", [["日", "待つ", "届かない"]]),
        ("th", "รอ3วันแล้วยังไม่ได้รับของค่ะ", [["รอ"], ["วัน", "ยังไม่ได้รับ"]]),
        ("th", "สวัสดีค่ะ โคมไฟแตกมาเลยค่ะ", [["โคมไฟ", "แตก"]]),
        ("th", "ชุดเดรสเล็กกว่าปกติมากค่ะ ใส่ไม่ได้เลย",
         [["ชุด", "เดรส", "เล็ก", "ปกติ"], ["ใส่", "ไม่ได้"]]),
        ("pt-BR", "Veio rasgado", [["veio", "rasgado"]]),  # a regional tag uses its language
    ],
)  # fmt: skip
def test_tokenize_per_language(lang: str, text: str, expected: list[list[str]]) -> None:
    assert kt.tokenize(text, lang) == expected


def test_terms_are_unigrams_and_bigrams_within_a_clause() -> None:
    assert kt.terms("The dress runs small.", "en") == {
        "dress", "runs", "small", "dress runs", "runs small"}  # fmt: skip
    # a comma ends a clause: no bigram across it
    assert "broken late" not in kt.terms("broken, late", "en")
    assert kt.terms("ワンピースが小さい", "ja") == {"ワンピース", "小さい", "ワンピース 小さい"}


def test_stopwords_cover_every_language_and_are_removed() -> None:
    for lang in kt.LANGS:
        assert len(kt.stopwords(lang)) >= 30, lang
    assert {"order", "hello", "please", "thanks"} <= kt.stopwords("en")
    assert {"commande", "bonjour", "merci"} <= kt.stopwords("fr")
    assert "طلب" in kt.stopwords("ar") and "شكرا" in kt.stopwords("ar")
    assert "注文" in kt.stopwords("ja") and "ครับ" in kt.stopwords("th")
    assert kt.tokenize("Hello, thanks, please check my order", "en") == [["check"]]
    assert kt.tokenize("Bonjour, merci pour la commande", "fr") == []
    assert kt.tokenize("注文した商品です", "ja") == []
    # negations stay: "not received" is a complaint
    assert "not received" in kt.terms("Not received yet", "en")


# --- ranking --------------------------------------------------------------------------------


def test_a_planted_word_ranks_first_in_its_cell_and_a_common_word_does_not() -> None:
    counts: dict[kw.Cell, dict[str, int]] = {}
    for n in range(8):
        cell = (f"SKU-{n}", "damaged_item", "en")
        counts[cell] = {"broken": 20, "box": 3 + n % 3, f"other{n}": 4}
    counts[("SKU-0", "damaged_item", "en")]["smells"] = 9
    counts[("SKU-0", "damaged_item", "fr")] = {"cassé": 5}  # another language: not compared
    rows = kw.rank(counts, {"sku": "SKU-0"})
    en = [r for r in rows if r["lang"] == "en"]
    assert en[0]["keyword"] == "smells" and en[0]["count"] == 9
    assert "broken" not in {r["keyword"] for r in en}  # in every cell alike: not distinctive
    # the whole table: still first
    assert kw.rank(counts)[0]["keyword"] == "smells"
    # a language with one cell has nothing to be distinctive against
    assert not [r for r in rows if r["lang"] == "fr"]


def test_minimum_count_and_score_sign() -> None:
    counts: dict[kw.Cell, dict[str, int]] = {
        ("A", "late", "en"): {"lost": 2, "late": 30, "gone": 4},
        ("B", "late", "en"): {"late": 30, "slow": 6},
    }  # "late": the same share of both cells, so distinctive in neither
    assert [r["keyword"] for r in kw.rank(counts, min_count=3)] == ["slow", "gone"]
    assert {r["keyword"] for r in kw.rank(counts, min_count=2)} == {"slow", "gone", "lost"}
    assert kw.log_odds(5, 5, 5, 5) is None  # one term in one cell: no contrast at all


def test_a_word_only_seen_in_a_phrase_is_listed_once() -> None:
    planted = {"runs": 9, "small": 9, "runs small": 9, "tight": 5}
    counts: dict[kw.Cell, dict[str, int]] = {
        ("D", "size_help", "en"): planted,
        ("E", "size_help", "en"): {"small": 8, "fit": 9, "tight": 1},
    }
    words = [r["keyword"] for r in kw.rank(counts, {"sku": "D"})]
    assert "runs small" in words and "runs" not in words and "tight" in words


# --- glosses --------------------------------------------------------------------------------


class FakeTranslator(Translator):
    name = "fake"

    def __init__(self, table: dict[str, str], delay_s: float = 0.0) -> None:
        self.table = table
        self.delay_s = delay_s
        self.calls: list[tuple[str, str, str]] = []

    async def translate(self, text: str, source: str, target: str) -> str:
        self.calls.append((text, source, target))
        await asyncio.sleep(self.delay_s)
        if text not in self.table:
            raise TranslationUnavailable("not in the table")
        return self.table[text]


class BrokenTranslator(Translator):
    async def translate(self, text: str, source: str, target: str) -> str:
        raise RuntimeError("a provider bug that is not TranslationUnavailable")


def _rows(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"keyword": k, "lang": lang, "gloss_en": None} for k, lang in pairs]


async def test_gloss_with_a_fake_translator() -> None:
    fake = FakeTranslator({"cassé": "broken", "小さい": "small"})
    rows = _rows(("cassé", "fr"), ("小さい", "ja"), ("runs small", "en"), ("inconnu", "fr"))
    await kw.add_glosses(rows, fake)
    assert [r["gloss_en"] for r in rows] == ["broken", "small", "runs small", None]
    assert ("cassé", "fr", "en") in fake.calls
    assert not [c for c in fake.calls if c[1] == "en"]  # English is never sent


@pytest.mark.parametrize("translator", [NoTranslator(), BrokenTranslator(), None])
async def test_gloss_is_null_when_translation_is_down(translator: Translator | None) -> None:
    rows = _rows(("cassé", "fr"), ("เล็ก", "th"), ("broken", "en"))
    await kw.add_glosses(rows, translator)
    assert [r["gloss_en"] for r in rows] == [None, None, "broken"]


async def test_a_slow_translator_costs_the_budget_not_more() -> None:
    slow = FakeTranslator({"cassé": "broken"}, delay_s=5.0)
    rows = _rows(("cassé", "fr"))
    started = time.perf_counter()
    await kw.add_glosses(rows, slow, budget_s=0.3)
    assert time.perf_counter() - started < 1.5
    assert rows[0]["gloss_en"] is None
    for task in list(kw._pending):  # the late gloss keeps going (it fills the cache)
        task.cancel()


# --- storage, capture and the generated history (both backends) -----------------------------


def test_messages_and_terms_are_stored_once(db: ReportsDB) -> None:
    msgs = [
        {"case_id": "C-1", "seq": 1, "lang": "fr", "text": "La lampe est arrivée cassée."},
        {"case_id": "C-1", "seq": 2, "lang": "fr", "text": "Elle est cassée au pied."},
        {"case_id": "C-2", "seq": 1, "lang": "ja", "text": "ランプが壊れていました"},
        {"case_id": "C-3", "seq": 1, "lang": "en", "text": "   "},  # nothing said: nothing kept
    ]
    assert ks.store_messages(db, msgs) == 3
    terms_once = db.count(case_terms)
    assert ks.store_messages(db, msgs) == 3  # a replay adds nothing
    assert db.count(case_messages) == 3 and db.count(case_terms) == terms_once
    with db.engine.connect() as conn:
        c1 = set(
            conn.execute(sa.select(case_terms.c.term).where(case_terms.c.case_id == "C-1"))
            .scalars()
            .all()
        )
    assert {"lampe", "cassé", "arrivé cassé", "pied"} <= c1
    ks.rebuild_terms(db)
    assert db.count(case_terms) == terms_once


def test_generated_history_surfaces_the_planted_words(db: ReportsDB) -> None:
    history = generate_history(END)
    assert history.messages == generate_history(END).messages  # seeded: the same every run
    assert history.messages and {m["case_id"] for m in history.messages} == {
        c["case_id"] for c in history.cases
    }
    ks.store_history(db, history)
    lamp = kw.keyword_rows(
        db, {"sku": LAMP, "issue_type": "damaged_item", "country": "FR", "from": LAST_TWO_WEEKS}
    )
    assert lamp[0]["keyword"] in ("cassé", "lampe") and lamp[0]["lang"] == "fr"
    top = [r["keyword"] for r in lamp[:5]]
    assert "cassé" in top
    row = next(r for r in lamp if r["keyword"] == "cassé")
    assert row["count"] >= 10 and row["sku"] == LAMP and row["issue_type"] == "damaged_item"
    assert len(row["example_case_ids"]) == kw.EXAMPLES
    by_id = {c["case_id"]: c for c in history.cases}
    for case_id in row["example_case_ids"]:
        assert by_id[case_id]["sku"] == LAMP and by_id[case_id]["country"] == "FR"
    dress = kw.keyword_rows(db, {"sku": DRESS, "issue_type": "size_help", "from": "2029-12-17"})
    found = {(r["lang"], r["keyword"]) for r in dress}
    assert ("en", "runs small") in found and ("de", "klein") in found
    assert ("es", "pequeño") in found


def test_results_are_cached_until_messages_change(db: ReportsDB) -> None:
    texts = {"A": "It smells bad", "B": "Arrived late", "C": "Arrived late again"}
    case_rows = [
        db.case_row({"case_id": f"C-{sku}{n}", "created_at": 1.9e9 + n, "sku": sku,
                     "issue_type": "complain", "language": "en"}, "import")
        for sku in texts for n in range(4)
    ]  # fmt: skip
    db.upsert_cases(case_rows)
    msgs = [
        {"case_id": r["case_id"], "seq": 1, "lang": "en", "text": texts[r["sku"]]}
        for r in case_rows
    ]
    ks.store_messages(db, msgs[:8])
    first = kw.keyword_rows(db, {"sku": "A"}, min_count=2)
    assert first[0]["keyword"] == "smells bad"
    # another gateway's write (straight to the table) is not seen within the cache's life
    with db.writer.begin() as conn:
        conn.execute(case_terms.insert(), [{"case_id": "C-B0", "lang": "en", "term": "smells"}])
    assert kw.keyword_rows(db, {"sku": "A"}, min_count=2) == first
    before = kw.keyword_rows(db, {"sku": "C"}, min_count=1)
    assert "smells bad" not in {r["keyword"] for r in before}
    # this process storing messages drops the cache at once
    ks.store_messages(db, [{"case_id": "C-C0", "seq": 2, "lang": "en", "text": "smells bad"}])
    after = kw.keyword_rows(db, {"sku": "C"}, min_count=1)
    assert "smells bad" in {r["keyword"] for r in after}


async def test_ingestion_captures_the_shoppers_words_from_the_transcript(
    redis_url: str, db: ReportsDB
) -> None:
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    try:
        store = ConversationStore(redis)
        await store.append_many(
            "conv-kw",
            [
                {"speaker": "shopper", "text": "Bonjour, ma lampe est arrivée cassée",
                 "language": "fr"},
                {"speaker": "bot", "text": "Je suis désolé, pouvez-vous envoyer une photo ?"},
                {"speaker": "shopper", "text": "Le pied est fissuré", "language": "fr"},
                {"speaker": "agent", "text": "Nous renvoyons une lampe neuve."},
            ],
        )  # fmt: skip
        case_id = await CaseWriter(redis).record(
            Case("conv-kw", "damaged_item", "reship", "camille", sku=LAMP, country="FR",
                 language="fr")
        )  # fmt: skip
        await Ingestor(redis, db, "test").drain()
        with db.engine.connect() as conn:
            said = conn.execute(
                sa.select(case_messages.c.text, case_messages.c.lang)
                .where(case_messages.c.case_id == case_id)
                .order_by(case_messages.c.seq)
            ).all()
        assert [tuple(r) for r in said] == [
            ("Bonjour, ma lampe est arrivée cassée", "fr"),
            ("Le pied est fissuré", "fr"),
        ]
    finally:
        await redis.close()


async def test_a_capture_failure_never_holds_cases_back(
    redis_url: str, db: ReportsDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis = Redis.from_url(redis_url)
    await redis.flushdb()

    async def broken(*_args: Any) -> int:
        raise RuntimeError("keywords store unavailable")

    monkeypatch.setattr(ks, "capture", broken)
    try:
        await CaseWriter(redis).record(Case("conv-x", "late", "answered", "bot"))
        await Ingestor(redis, db, "test").drain()
        from handoff.reports.db import cases

        assert db.count(cases) == 1
    finally:
        await redis.close()


# --- the endpoint ---------------------------------------------------------------------------


@pytest.fixture
def libre() -> Any:
    server = FakeLibreTranslate().start()
    yield server
    server.stop()


@pytest.fixture
async def gateway(
    redis_url: str, db: ReportsDB, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[..., Any]]:
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.close()
    monkeypatch.setenv("DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SHOP_TIMEZONE", "Europe/Paris")
    clients: list[TestClient] = []

    async def start(**settings: Any) -> TestClient:
        app = create_app(
            Settings(redis_url=redis_url, demo_accounts=True, **settings), [dev_extras]
        )
        c = TestClient(TestServer(app))
        await c.start_server()
        clients.append(c)
        return c

    yield start
    for c in clients:
        await c.close()


LAMP_QUERY = {"sku": LAMP, "issue_type": "damaged_item", "country": "FR", "from": LAST_TWO_WEEKS}


async def test_endpoint_roles_and_bad_input(gateway: Callable[..., Any]) -> None:
    c = await gateway()
    assert (await c.get("/api/reports/keywords")).status == 401
    agent = await bearer(c, "lena", "demo-lena-2026")
    assert (await c.get("/api/reports/keywords", headers=agent)).status == 403
    lead = await bearer(c, "nora", "demo-nora-2026")
    admin = await bearer(c, "admin", "demo-admin-2026")
    for who in (lead, admin):
        resp = await c.get("/api/reports/keywords", headers=who)
        assert resp.status == 200 and (await resp.json())["rows"] == []
    for bad in (
        "from=2026-13-01", "to=yesterday", "limit=abc", "limit=0", "limit=5000",
        "from=2026-02-10&to=2026-02-01", "lang=xx", "min_count=-1", "sku=" + "x" * 200,
    ):  # fmt: skip
        resp = await c.get(f"/api/reports/keywords?{bad}", headers=lead)
        assert resp.status == 400, bad
        assert (await resp.json())["error"]["code"].startswith("bad_"), bad


async def test_endpoint_on_the_generated_history(
    gateway: Callable[..., Any], db: ReportsDB
) -> None:
    ks.store_history(db, generate_history(END))
    c = await gateway()  # no translator configured: glosses are null, never an error
    lead = await bearer(c, "nora", "demo-nora-2026")
    resp = await c.get("/api/reports/keywords", params={**LAMP_QUERY, "limit": "5"}, headers=lead)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    rows = body["rows"]
    assert len(rows) == 5 and "cassé" in [r["keyword"] for r in rows]
    assert set(rows[0]) == {"keyword", "lang", "gloss_en", "count", "score", "sku",
                            "issue_type", "example_case_ids"}  # fmt: skip
    assert all(r["gloss_en"] is None and r["lang"] == "fr" for r in rows)
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    everything = await c.get("/api/reports/keywords", params={"limit": "200"}, headers=lead)
    cells = {(r["sku"], r["issue_type"]) for r in (await everything.json())["rows"][:20]}
    assert (LAMP, "damaged_item") in cells and (DRESS, "size_help") in cells
    english = [r for r in (await everything.json())["rows"] if r["lang"] == "en"]
    assert english and all(r["gloss_en"] == r["keyword"] for r in english)


async def test_endpoint_glosses_through_the_translation_layer(
    gateway: Callable[..., Any], db: ReportsDB, libre: FakeLibreTranslate
) -> None:
    ks.store_history(db, generate_history(END))
    c = await gateway(translator="libre", translator_url=libre.url, translator_timeout_s=2.0)
    lead = await bearer(c, "nora", "demo-nora-2026")
    resp = await c.get("/api/reports/keywords", params={**LAMP_QUERY, "limit": "5"}, headers=lead)
    rows = (await resp.json())["rows"]
    cassé = next(r for r in rows if r["keyword"] == "cassé")
    assert cassé["gloss_en"] == "[en] cassé"  # the fake's answer for words it does not know
    hits = libre.hits
    await c.get("/api/reports/keywords", params={**LAMP_QUERY, "limit": "5"}, headers=lead)
    assert libre.hits == hits  # glosses come from the Redis cache the second time
    libre.mode = "error"  # the provider fails: keywords still come, without a gloss
    resp = await c.get("/api/reports/keywords", params={**LAMP_QUERY, "limit": "20"}, headers=lead)
    assert resp.status == 200
    late = (await resp.json())["rows"]
    assert any(r["gloss_en"] is None for r in late)
    assert {r["keyword"] for r in late} >= {r["keyword"] for r in rows}
