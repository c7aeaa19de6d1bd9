"""The launcher's embedded mail catcher as its own process: started when SMTP_URL is not
set, it keeps what it receives in Redis for /console/mail, and the gateway is pointed at it."""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest
import redis

from handoff import keys
from handoff.dev.launcher import Stack, free_port


def test_launcher_starts_the_catcher_and_points_the_gateway_at_it(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMTP_URL", raising=False)
    stack = Stack(redis_url=redis_url, gateway_port=free_port(), var=tmp_path)
    try:
        stack.start_mail_catcher()
        assert stack.catcher_port
        assert stack.env()["SMTP_URL"] == f"smtp://127.0.0.1:{stack.catcher_port}"
        r = redis.Redis.from_url(redis_url, decode_responses=True)
        r.delete(keys.MAIL_CATCHER)
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "care@shop.example", "a@example.de", "Hallo"
        msg.set_content("Ihr Paket ist unterwegs.")
        msg.add_alternative("<p>Ihr Paket</p><script>alert(1)</script>", subtype="html")
        with smtplib.SMTP("127.0.0.1", stack.catcher_port, timeout=10) as client:
            client.send_message(msg)
        [item] = [json.loads(x) for x in r.lrange(keys.MAIL_CATCHER, 0, -1)]
        assert item["subject"] == "Hallo" and item["to"] == "a@example.de"
        assert "Ihr Paket ist unterwegs." in item["text"] and "<script>" in item["html"]
    finally:
        stack.stop()
    with_relay = Stack(redis_url=redis_url, var=tmp_path, extra_env={"SMTP_URL": "smtp://x:25"})
    with_relay.start_mail_catcher()  # a real relay configured: no catcher
    assert with_relay.catcher_port == 0 and not with_relay.procs


def test_console_mail_page_escapes_html() -> None:
    from handoff.channels.email.catcher import _row

    item = {"subject": "<img src=x onerror=alert(1)>", "to": "a@b", "from": "c@d", "at": 0}
    row = _row({**item, "text": "<script>alert(2)</script>", "html": "<script>x</script>"})
    assert "<script>" not in row and "<img" not in row
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in row
