"""The deep-translator path against a local LibreTranslate-compatible server."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from handoff.translation import (
    CachedTranslator,
    DeepTranslator,
    NoTranslator,
    TranslationUnavailable,
    for_agent,
    to_shopper,
)
from tests.support.fake_libretranslate import FakeLibreTranslate


@pytest.fixture
def libre():  # type: ignore[no-untyped-def]
    server = FakeLibreTranslate().start()
    yield server
    server.stop()


def test_translates_through_the_provider_api(libre) -> None:  # type: ignore[no-untyped-def]
    t = DeepTranslator("libre", libre.url, "key", timeout_s=2)
    assert asyncio.run(t.translate("Gdzie jest moja paczka?", "pl", "en")) == "where is my parcel?"
    assert (
        asyncio.run(t.translate("Your parcel is on its way.", "en", "pl"))
        == "[pl] Your parcel is on its way."
    )


def test_cache_in_redis_saves_the_second_call(libre, redis_url) -> None:  # type: ignore[no-untyped-def]
    async def run() -> None:
        redis = Redis.from_url(redis_url)
        t = CachedTranslator(DeepTranslator("libre", libre.url, "key", timeout_s=2), redis)
        await redis.delete(t.key("dziękuję", "pl", "en"))
        first = await t.translate("dziękuję", "pl", "en")
        hits = libre.hits
        second = await t.translate("dziękuję", "pl", "en")
        assert first == second == "thank you"
        assert libre.hits == hits  # served from Redis
        await redis.close()

    asyncio.run(run())


def test_provider_down_is_unavailable_not_a_crash(libre) -> None:  # type: ignore[no-untyped-def]
    url = libre.url
    libre.stop()
    t = DeepTranslator("libre", url, "key", timeout_s=2)
    with pytest.raises(TranslationUnavailable):
        asyncio.run(t.translate("dzień dobry", "pl", "en"))


def test_slow_provider_times_out(libre) -> None:  # type: ignore[no-untyped-def]
    libre.mode = "slow"
    t = DeepTranslator("libre", libre.url, "key", timeout_s=0.5)
    started = time.perf_counter()
    with pytest.raises(TranslationUnavailable, match="timed out"):
        asyncio.run(t.translate("dzień dobry", "pl", "en"))
    assert time.perf_counter() - started < 2


def test_provider_error_is_unavailable(libre) -> None:  # type: ignore[no-untyped-def]
    libre.mode = "error"
    with pytest.raises(TranslationUnavailable):
        asyncio.run(DeepTranslator("libre", libre.url, "k").translate("x y", "pl", "en"))


def test_agent_side_keeps_the_original(libre) -> None:  # type: ignore[no-untyped-def]
    t = DeepTranslator("libre", libre.url, "key", timeout_s=2)
    seen = asyncio.run(for_agent(t, "Gdzie jest moja paczka?", "pl", "en"))
    assert seen == {
        "text": "where is my parcel?",
        "original": "Gdzie jest moja paczka?",
        "translated": True,
        "source_language": "pl",
        "target_language": "en",
    }
    sent = asyncio.run(to_shopper(t, "It ships tomorrow.", "en", "de"))
    assert sent["text"] == "[de] It ships tomorrow." and sent["original"] == "It ships tomorrow."
    offline = asyncio.run(for_agent(NoTranslator(), "Wo ist mein Paket?", "de", "zh"))
    assert offline["text"] == "Wo ist mein Paket?" and offline["translated"] is False
