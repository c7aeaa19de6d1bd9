"""Machine translation for languages we do not serve natively, and for agents.

deep-translator does the provider calls (LibreTranslate, Google, DeepL, Microsoft,
MyMemory); this module adds what a chat needs: a per-call timeout, a Redis cache, and a
clear "unavailable" so callers can degrade (answer in English) instead of failing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from abc import ABC, abstractmethod
from typing import Any

from redis.asyncio import Redis

from handoff import keys
from handoff.settings import Settings

LOG = logging.getLogger("handoff.translation")
CACHE_TTL_S = 30 * 24 * 3600

# Said (in the shopper's language) above English replies when translation is unavailable.
ENGLISH_NOTE = {
    "pl": "Przepraszamy, w tej chwili możemy odpowiedzieć tylko po angielsku.",
    "tr": "Üzgünüz, şu anda yalnızca İngilizce yanıt verebiliyoruz.",
    "nl": "Sorry, we kunnen op dit moment alleen in het Engels antwoorden.",
    "ru": "Извините, сейчас мы можем ответить только на английском.",
    "uk": "Вибачте, зараз ми можемо відповісти лише англійською.",
    "ko": "죄송합니다. 지금은 영어로만 답변드릴 수 있습니다.",
    "zh": "抱歉，我们目前只能用英文回复。",
    "id": "Maaf, saat ini kami hanya dapat membalas dalam bahasa Inggris.",
    "sv": "Tyvärr kan vi just nu bara svara på engelska.",
    "da": "Beklager, vi kan i øjeblikket kun svare på engelsk.",
    "no": "Beklager, vi kan for øyeblikket bare svare på engelsk.",
    "fi": "Valitettavasti voimme tällä hetkellä vastata vain englanniksi.",
    "cs": "Omlouváme se, momentálně můžeme odpovědět pouze anglicky.",
    "ro": "Ne pare rău, momentan putem răspunde doar în engleză.",
    "hu": "Sajnáljuk, jelenleg csak angolul tudunk válaszolni.",
    "el": "Λυπούμαστε, αυτή τη στιγμή μπορούμε να απαντήσουμε μόνο στα αγγλικά.",
    "he": "מצטערים, כרגע אנחנו יכולים לענות רק באנגלית.",
    "hi": "क्षमा करें, अभी हम केवल अंग्रेज़ी में उत्तर दे सकते हैं।",
    "fa": "متأسفیم، در حال حاضر فقط می‌توانیم به انگلیسی پاسخ دهیم.",
    "ms": "Maaf, buat masa ini kami hanya boleh membalas dalam bahasa Inggeris.",
    "tl": "Paumanhin, sa ngayon ay sa Ingles lang kami makakasagot.",
}


class TranslationUnavailable(Exception):
    """No provider configured, or it failed or timed out: answer untranslated."""


class Translator(ABC):
    name = "none"

    @abstractmethod
    async def translate(self, text: str, source: str, target: str) -> str: ...


class NoTranslator(Translator):
    async def translate(self, text: str, source: str, target: str) -> str:
        raise TranslationUnavailable("no translator configured")


class DeepTranslator(Translator):
    """A deep-translator provider called in a worker thread with a hard timeout."""

    def __init__(self, provider: str, url: str = "", key: str = "", timeout_s: float = 3.0) -> None:
        self.name = provider
        self.url = url if not url or url.endswith("/") else url + "/"
        self.key = key
        self.timeout_s = timeout_s

    def _client(self, source: str, target: str) -> Any:
        import deep_translator as dt

        if self.name == "libre":
            return dt.LibreTranslator(
                source=source, target=target, api_key=self.key or "-", custom_url=self.url or None
            )
        if self.name == "google":
            return dt.GoogleTranslator(source=source, target=target)
        if self.name == "deepl":
            return dt.DeeplTranslator(
                source=source, target=target, api_key=self.key, use_free_api=True
            )
        if self.name == "microsoft":
            return dt.MicrosoftTranslator(source=source, target=target, api_key=self.key)
        if self.name == "mymemory":
            return dt.MyMemoryTranslator(source=source, target=target)
        raise TranslationUnavailable(f"unknown translator {self.name!r}")

    async def translate(self, text: str, source: str, target: str) -> str:
        if source == target:
            return text
        loop = asyncio.get_running_loop()
        try:
            result = await asyncio.wait_for(
                loop.run_in_executor(None, lambda: self._client(source, target).translate(text)),
                self.timeout_s,
            )
        except asyncio.TimeoutError:
            raise TranslationUnavailable(f"{self.name} timed out after {self.timeout_s}s") from None
        except TranslationUnavailable:
            raise
        except Exception as exc:  # provider errors come in many shapes
            raise TranslationUnavailable(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        if not isinstance(result, str) or not result.strip():
            raise TranslationUnavailable(f"{self.name} returned nothing")
        return result


class CachedTranslator(Translator):
    """Remembers translations in Redis; the same sentence is never paid for twice."""

    def __init__(self, inner: Translator, redis: Redis) -> None:
        self.inner = inner
        self.name = inner.name
        self.redis = redis

    def key(self, text: str, source: str, target: str) -> str:
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        return keys.translation(self.name, source, target, digest)

    async def translate(self, text: str, source: str, target: str) -> str:
        if source == target:
            return text
        key = self.key(text, source, target)
        try:
            cached = await self.redis.get(key)
        except Exception:  # a cache outage must not stop the chat  # noqa: BLE001
            cached = None
        if cached is not None:
            return cached.decode() if isinstance(cached, bytes) else str(cached)
        result = await self.inner.translate(text, source, target)
        try:
            await self.redis.set(key, result, ex=CACHE_TTL_S)
        except Exception:  # noqa: BLE001
            LOG.warning("translation_cache_write_failed")
        return result


def build_translator(settings: Settings, redis: Redis) -> Translator:
    if settings.translator in ("", "none"):
        return NoTranslator()
    inner = DeepTranslator(
        settings.translator,
        settings.translator_url,
        settings.translator_key,
        settings.translator_timeout_s,
    )
    return CachedTranslator(inner, redis)


async def translate_or_none(
    translator: Translator, text: str, source: str, target: str
) -> str | None:
    """The translation, or None when unavailable (logged): callers show the original."""
    try:
        return await translator.translate(text, source, target)
    except TranslationUnavailable as exc:
        LOG.warning(
            "translation_unavailable", extra={"source": source, "target": target, "error": str(exc)}
        )
        return None


async def relay(translator: Translator, text: str, source: str, target: str) -> dict[str, Any]:
    """Text for the other side of a chat: the translation when there is one, and the
    original always (agents click through to it; the shopper's copy keeps the agent's)."""
    translated = (
        await translate_or_none(translator, text, source, target) if source != target else text
    )
    return {
        "text": translated if translated is not None else text,
        "original": text,
        "translated": translated is not None and source != target,
        "source_language": source,
        "target_language": target,
    }


async def for_agent(
    translator: Translator, text: str, shopper_lang: str, agent_lang: str
) -> dict[str, Any]:
    """A shopper message as the agent sees it."""
    return await relay(translator, text, shopper_lang, agent_lang)


async def to_shopper(
    translator: Translator, text: str, agent_lang: str, shopper_lang: str
) -> dict[str, Any]:
    """An agent's reply as the shopper gets it."""
    return await relay(translator, text, agent_lang, shopper_lang)
