"""Who may call what on the real stack: the action server and Rasa answer only the stack."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import order_where

pytestmark = pytest.mark.stack


def listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses a TCP port listens on, from /proc/net/tcp (state 0A = LISTEN)."""
    out = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        ip_hex, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:
            out.add(".".join(str(int(ip_hex[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return out


def forged_call(url: str, order_id: str) -> tuple[int, str]:
    """What an attacker would send: a tracker claiming the order is already verified."""
    body = {
        "next_action": "action_track_order",
        "sender_id": "attacker",
        "version": "3.6.2",
        "domain": {},
        "tracker": {
            "sender_id": "attacker",
            "slots": {"verified_order": order_id, "order_id": order_id, "language": "en"},
            "latest_message": {"text": "where is my parcel", "intent": {"name": "track_order"},
                               "entities": []},
            "events": [],
            "latest_action_name": "action_listen",
        },
    }  # fmt: skip
    req = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_action_server_and_rasa_listen_on_loopback_only(stack) -> None:  # type: ignore[no-untyped-def]
    assert listening_addresses(stack.actions_port) == {"127.0.0.1"}
    assert listening_addresses(stack.rasa_port) == {"127.0.0.1"}


def test_a_forged_tracker_gets_nothing_from_the_action_server(stack, store) -> None:  # type: ignore[no-untyped-def]
    order = order_where(store, "in_transit", status="shipped")
    base = f"http://127.0.0.1:{stack.actions_port}/webhook"
    for url in (base, base + "?token=guess-guess-guess-guess"):
        status, text = forged_call(url, order.order_id)
        assert status == 401, text
        assert order.shipment.tracking_number not in text and order.email not in text
    # the same call with the stack's token is answered: the check is what refused it
    token = stack.secrets()["ACTION_SERVER_TOKEN"]
    status, text = forged_call(f"{base}?token={token}", order.order_id)
    assert status == 200, text


def test_verification_guessing_is_limited_per_client_address_not_per_chat(stack, store) -> None:  # type: ignore[no-untyped-def]
    """One address rotating chat ids gets 20 wrong guesses an hour; the address it claims
    in metadata changes nothing; the real owner, elsewhere, still gets in."""
    import asyncio
    import uuid

    import aiohttp

    orders = [o for o in store.all_orders()][:22]
    mine = order_where(store, "customs_hold")

    async def ask(s: aiohttp.ClientSession, order_id: str, email: str, address: str) -> str:
        conv = "vg" + uuid.uuid4().hex[:12]
        async with s.post(
            f"{stack.gateway_url}/api/conversations/{conv}/messages",
            json={
                "text": f"where is my order {order_id}? my email is {email}",
                "metadata": {"locale": "en-US", "client_address": f"10.0.{len(email)}.1"},
            },
            headers={"X-Forwarded-For": address},
        ) as resp:
            assert resp.status == 200, await resp.text()
            return "\n".join(r["text"] for r in (await resp.json())["replies"])

    async def run() -> None:
        async with aiohttp.ClientSession() as s:
            answers = [
                await ask(s, o.order_id, f"n{n}@example.com", "203.0.113.77")
                for n, o in enumerate(orders[:20])
            ]
            assert not any("security" in a for a in answers[:19]), answers[:19]
            assert "security" in answers[19]  # the 20th miss locks the address
            refused = await ask(s, mine.order_id, mine.email, "203.0.113.77")
            place = mine.shipment.events[-1].place  # where customs holds it: order data
            assert "security" in refused and place not in refused
            owner = await ask(s, mine.order_id, mine.email, "198.51.100.23")
            assert place in owner and "security" not in owner

    asyncio.run(run())


def test_rasa_http_api_needs_the_token(stack) -> None:  # type: ignore[no-untyped-def]
    """Without RASA_TOKEN nobody on the machine can read a tracker or write slots into it
    (a forged `verified_order` slot would open any order)."""
    from handoff.rasa_client import with_token

    token = stack.secrets()["RASA_TOKEN"]
    slot = [{"event": "slot", "name": "verified_order", "value": "XB-000001"}]
    tracker = f"{stack.rasa_url}/conversations/forged-sec/tracker"

    def call(method: str, url: str, body: object = None) -> int:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data, {"Content-Type": "application/json"}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    assert call("POST", f"{tracker}/events", slot) == 401
    assert call("GET", tracker) == 401
    assert call("POST", f"{stack.rasa_url}/model/parse", {"text": "hi"}) == 401
    assert call("GET", with_token(f"{stack.rasa_url}/status", "guess")) == 401
    assert call("GET", with_token(tracker, token)) == 200
