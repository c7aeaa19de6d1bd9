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
