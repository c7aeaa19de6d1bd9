"""A real chat ends up in the review loop's database and in cases.csv (gateway ingestion)."""

from __future__ import annotations

import asyncio
import csv
import io
import time
import uuid
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa

from tests.conftest import say
from tests.support.agentclient import AgentClient

pytestmark = pytest.mark.stack


def test_a_closed_chat_becomes_events_and_a_case_row(stack: Any) -> None:
    async def run() -> None:
        c = "r" + uuid.uuid4().hex[:16]
        async with aiohttp.ClientSession() as s:
            lena = await AgentClient(s, stack.gateway_url, "lena", "demo-lena-2026").connect()
            await lena.call(type="status", status="available")
            first = await say(s, stack.gateway_url, c, "I want to talk to a person, please")
            assert first["mode"] == "queued"
            await lena.expect(
                lambda m: (
                    m["type"] == "queue" and any(i["conversation_id"] == c for i in m["items"])
                )
            )
            assert (await lena.call(type="claim", conversation_id=c))["type"] == "ok"
            said = await lena.call(type="message", conversation_id=c, text="Hello, I'm here.")
            assert said["type"] == "ok"
            closed = await lena.call(
                type="close", conversation_id=c, resolution="reship", issue_type="damaged_item"
            )
            assert closed["type"] == "ok"
            case_id = closed["case_id"]
            await lena.close()

            login = await s.post(
                f"{stack.gateway_url}/api/auth/login",
                json={"login": "nora", "password": "demo-nora-2026"},
            )
            token = (await login.json())["token"]
            s.cookie_jar.clear()
            lead = {"Authorization": f"Bearer {token}"}
            deadline = time.time() + 20
            rows: dict[str, dict[str, str]] = {}
            while time.time() < deadline and case_id not in rows:
                got = await s.get(f"{stack.gateway_url}/api/reports/cases.csv", headers=lead)
                assert got.status == 200
                text = (await got.read()).decode("utf-8-sig")
                rows = {r["case_id"]: r for r in csv.DictReader(io.StringIO(text))}
                await asyncio.sleep(0.3)
            assert rows[case_id]["conversation_id"] == c
            assert rows[case_id]["issue_type"] == "damaged_item"
            assert rows[case_id]["resolved_by"] == "lena" and rows[case_id]["source"] == "live"

        engine = sa.create_engine(stack.env()["DATABASE_URL"], future=True)
        kinds: list[str] = []
        while time.time() < deadline and "closed" not in kinds:
            with engine.connect() as conn:
                kinds = list(
                    conn.execute(
                        sa.text("SELECT kind FROM events WHERE conversation_id = :c ORDER BY at"),
                        {"c": c},
                    ).scalars()
                )
            await asyncio.sleep(0.2)
        engine.dispose()
        for kind in ("conversation_started", "intent", "escalated", "queued", "claimed",
                     "first_human_reply", "closed"):  # fmt: skip
            assert kind in kinds, kinds

    asyncio.run(run())
