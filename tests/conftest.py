"""Shared fixtures: the generated sample store and tracker-based action runs."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = [
    "tests.support.stack",
    "tests.support.redis_server",
    "tests.support.browser",
    "tests.support.postgres",
]
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no reports to Rasa's servers


@pytest.fixture(scope="session", autouse=True)
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly generated sample store, used by every test through SHOP_DATA."""
    from shop.generate import generate

    path = tmp_path_factory.mktemp("shop") / "sample_store.json"
    path.write_text(json.dumps(generate()), encoding="utf-8")
    os.environ["SHOP_DATA"] = str(path)
    # gateways built by tests keep their review-loop database out of the checkout's var/
    os.environ["DATABASE_URL"] = f"sqlite:///{path.parent / 'reports.sqlite3'}"
    os.environ.pop("REDIS_URL", None)
    from actions.clients import redis_state, shop

    shop.reset()
    from handoff import shopdata

    shopdata.store.cache_clear()
    shopdata.route_stats.cache_clear()
    redis_state.state.cache_clear()
    return path


@pytest.fixture
def store():  # type: ignore[no-untyped-def]
    from actions.clients import shop

    return shop.store()


@pytest.fixture(autouse=True)
def fresh_action_state():  # type: ignore[no-untyped-def]
    from actions.clients import redis_state

    redis_state.state.cache_clear()
    yield redis_state.state()
    redis_state.state.cache_clear()


def make_tracker(
    text: str,
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    sender: str = "test-conv",
):  # type: ignore[no-untyped-def]
    from rasa_sdk import Tracker

    entities = entities or []
    all_slots: dict[str, Any] = {"fallback_count": 0, "verify_failures": 0}
    for ent in entities:  # what Rasa's from_entity slot mappings do before the action runs
        all_slots[ent["entity"]] = ent["value"]
    all_slots.update(slots or {})
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities,
        "metadata": metadata or {},
    }
    return Tracker(sender, all_slots, latest, [], False, None, {}, "action_listen")


def run_action(action: Any, tracker: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return events, dispatcher.messages


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def order_where(store: Any, scenario: str, **attrs: Any):  # type: ignore[no-untyped-def]
    """The first sample order generated for a scenario (and matching attributes)."""
    for order in store.all_orders():
        if store.scenarios[order.order_id] != scenario:
            continue
        if all(getattr(order, k) == v for k, v in attrs.items()):
            return order
    raise LookupError(f"no sample order for {scenario} {attrs}")


async def say(session: Any, base: str, conv_id: str, text: str, **metadata: str) -> dict:
    """One shopper message through the gateway's REST API (real stack tests)."""
    from tests.support import shopper

    async with session.post(
        f"{base}/api/conversations/{conv_id}/messages",
        json={"text": text, "metadata": metadata},
        headers=shopper.headers(conv_id),
    ) as resp:
        assert resp.status == 200, await resp.text()
        return shopper.remember(conv_id, dict(await resp.json()))


def ent(entity: str, value: str) -> dict[str, Any]:
    return {"entity": entity, "value": value, "start": 0, "end": len(value)}
