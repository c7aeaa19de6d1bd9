"""A bare "cancel" (the word alone, or with "it" / "please") is cancel_order in every language,
on the trained model, after the fallback threshold."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from handoff.dev.launcher import ensure_model

pytestmark = pytest.mark.stack

BARE_CANCEL = {
    "en": ["cancel", "cancel it", "Cancel", "cancel it pls", "cancel that one"],
    "es": ["cancelar", "cancélalo", "cancela", "cancelar porfa"],
    "fr": ["annuler", "annule", "annulez-la", "annuler svp"],
    "de": ["stornieren", "Stornieren!", "storno bitte", "bitte storno"],
    "it": ["annulla", "annullare", "annulla tutto"],
    "pt": ["cancelar", "cancela", "cancela pfv"],
    "ar": ["إلغاء", "الغاء", "الغوه", "كنسل"],
    "ja": ["キャンセル", "キャンセルで", "キャンセルしてください"],
    "vi": ["hủy", "huy", "hủy giùm", "huy nha"],
    "th": ["ยกเลิก", "ยกเลิกค่ะ", "ยกเลิกด้วย"],
}


@pytest.fixture(scope="module")
def agent() -> Any:
    from rasa.core.agent import Agent

    for name in ("rasa", "tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)
    model: Path = ensure_model()
    return Agent.load(str(model))


@pytest.mark.parametrize("lang", sorted(BARE_CANCEL))
def test_bare_cancel_is_cancel_order(agent: Any, lang: str) -> None:
    async def parse_all() -> dict[str, str]:
        return {t: (await agent.parse_message(t))["intent"]["name"] for t in BARE_CANCEL[lang]}

    got = asyncio.run(parse_all())
    wrong = {text: intent for text, intent in got.items() if intent != "cancel_order"}
    assert not wrong, wrong


def test_not_cancelling_is_still_deny(agent: Any) -> None:
    """The bare word must not swallow its negation."""
    for text in ("no, don't cancel it", "Nein, bitte nicht stornieren"):
        parsed = asyncio.run(agent.parse_message(text))
        assert parsed["intent"]["name"] == "deny", (text, parsed["intent"])
