"""Fuzzed input to the gateway's public endpoints: every request gets a clear answer (a 2xx,
or a 4xx with a JSON error), never a 500; the shopper socket always answers with a frame.

Runs the real app on a real Redis; Rasa is unreachable (a closed port), so messages take the
degraded path, which is itself part of what must never crash.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.settings import Settings
from handoff.web.app import create_app
from tests.support import shopper

SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\ud83dz", "\ud83d\ude00"])
TEXT = st.one_of(st.text(max_size=60), SURROGATES, st.just(""), st.just("<script>x</script>"))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
BODY = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {"text": TEXT},
        optional={"metadata": st.one_of(JSON, st.fixed_dictionaries({"locale": JSON}))},
    ),
)
QUERY = st.one_of(st.text(max_size=12), st.integers(-5, 10**30).map(str), st.just("1e9"))

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[TestClient]:
    settings_ = Settings(
        redis_url=redis_url,
        rasa_url="http://127.0.0.1:9",
        action_server_url="http://127.0.0.1:9",
        rasa_timeout_s=0.5,
    )
    c = TestClient(TestServer(create_app(settings_)))
    await c.start_server()
    yield c
    await c.close()


def encode(body: Any) -> bytes:
    return json.dumps(body).encode("utf-8")  # surrogates are escaped as \\udXXX by json


async def assert_clear(resp: Any) -> None:
    assert resp.status < 500 or resp.status == 503, (resp.status, await resp.text())
    if resp.status >= 400:
        error = (await resp.json())["error"]
        assert error["code"] and error["message"]


@FUZZ
@given(body=BODY)
async def test_message_endpoint_never_fails_on_any_json(client: TestClient, body: Any) -> None:
    resp = await client.post(
        "/api/conversations/fuzz-conv-1/messages",
        data=encode(body),
        headers={"Content-Type": "application/json"},
    )
    await assert_clear(resp)


@FUZZ
@given(raw=st.binary(max_size=200))
async def test_message_endpoint_never_fails_on_any_bytes(client: TestClient, raw: bytes) -> None:
    resp = await client.post("/api/conversations/fuzz-conv-2/messages", data=raw)
    await assert_clear(resp)


@FUZZ
@given(body=BODY)
async def test_analyze_never_fails(client: TestClient, body: Any) -> None:
    resp = await client.post("/api/analyze", data=encode(body))
    await assert_clear(resp)


@FUZZ
@given(after=QUERY)
async def test_transcript_after_is_validated(client: TestClient, after: str) -> None:
    first = await client.post(
        "/api/conversations/fuzz-conv-3/messages",
        data=encode({"text": "hi"}),
        headers=shopper.headers("fuzz-conv-3"),
    )
    shopper.remember("fuzz-conv-3", await first.json())
    resp = await client.get(
        "/api/conversations/fuzz-conv-3",
        params={"after": after},
        headers=shopper.headers("fuzz-conv-3"),
    )
    await assert_clear(resp)


async def test_deeply_nested_json_is_a_clear_400(client: TestClient) -> None:
    resp = await client.post("/api/analyze", data=b"[" * 30000 + b"]" * 30000)
    assert resp.status in (400, 413)
    assert (await resp.json())["error"]["code"] in ("bad_json", "body_too_large")


async def test_a_locale_is_never_a_path(client: TestClient) -> None:
    for locale in ("../../etc/passwd", "en/../../x", {"a": 1}, 42):
        resp = await client.post(
            "/api/conversations/fuzz-conv-4/messages",
            data=encode({"text": "hola", "metadata": {"locale": locale}}),
        )
        assert resp.status == 400 and (await resp.json())["error"]["code"] == "bad_locale"


@FUZZ
@given(frame=st.one_of(st.text(max_size=80), BODY.map(json.dumps)))
async def test_shopper_socket_answers_every_frame(client: TestClient, frame: str) -> None:
    ws = await client.ws_connect(shopper.ws_url("", "fuzz-sock-1"))
    hello = shopper.remember("fuzz-sock-1", await ws.receive_json(timeout=5))
    assert hello["type"] == "hello"
    await ws.send_str(frame)
    reply = await ws.receive(timeout=10)
    assert reply.type.name == "TEXT", reply
    answer = json.loads(reply.data)
    while answer["type"] in ("typing", "entry", "mode"):
        answer = json.loads((await ws.receive(timeout=10)).data)
    assert answer["type"] in ("state", "error"), answer
    await ws.close()
