"""What domain.yml declares that the trainer checks against: intents and entity names."""

from __future__ import annotations

from bot.nludata import entity_names, intents


def domain_intents() -> list[str]:
    return intents()


def domain_entities() -> list[str]:
    return entity_names()
