"""Email on the real stack: shoppers' mail in through the gateway's SMTP listener (sent
with smtplib), the answers out through a real SMTP relay (aiosmtpd), threaded."""

from __future__ import annotations

import asyncio
import json
import smtplib
import sys
import time
import uuid
from email.message import EmailMessage

import aiohttp
import pytest
import redis

from handoff import keys
from tests.conftest import order_where
from tests.support.agentclient import AgentClient

pytestmark = pytest.mark.stack


def send(stack, sender: str, subject: str, body: str, **headers: str) -> str:  # type: ignore[no-untyped-def]
    """Mail the gateway's inbound listener; returns the Message-ID (without <>)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "care@shop.example"
    msg["Subject"] = subject
    message_id = f"{uuid.uuid4().hex}@mail.example.net"
    msg["Message-ID"] = f"<{message_id}>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    with smtplib.SMTP("127.0.0.1", stack.email_inbound_port, timeout=10) as client:
        client.send_message(msg)
    return message_id


def answer_to(smtp_relay, message_id: str, timeout: float = 40.0):  # type: ignore[no-untyped-def]
    return smtp_relay.wait_for(lambda m: message_id in str(m["In-Reply-To"]), timeout)


def text_of(mail) -> str:  # type: ignore[no-untyped-def]
    return str(mail.get_body(preferencelist=("plain",)).get_content())


def conversation_of(stack, message_id: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        conv_id = r.get(keys.email_thread(message_id))
        if conv_id:
            meta = r.hgetall(keys.conversation(conv_id))
            if meta.get("last_text"):
                return {"conversation_id": conv_id, **meta}
        time.sleep(0.2)
    raise AssertionError(f"no conversation for {message_id}")


def test_german_stalled_parcel_mail_gets_the_german_tracking_answer_threaded(
    stack, smtp_relay, store
) -> None:
    order = order_where(store, "stalled")
    started = time.monotonic()
    message_id = send(
        stack,
        f"Kundin <{order.email}>",
        f"Bestellung {order.order_id}",
        f"Guten Tag,\nmein Paket zur Bestellung {order.order_id} bewegt sich seit Tagen nicht."
        " Wo ist mein Paket?\n\nViele Grüße\n-- \nKundin\n",
    )
    reply = answer_to(smtp_relay, message_id)
    print(f"inbound mail -> bot reply in the relay: {time.monotonic() - started:.2f} s")
    text = text_of(reply)
    print(text)
    assert str(reply["To"]) == order.email
    assert str(reply["Subject"]) == f"Re: Bestellung {order.order_id}"
    assert message_id in str(reply["References"])
    assert str(reply["Message-ID"]).endswith("@shop.example>")
    assert reply["Content-Language"] == "de"
    assert "Sendungsnummer" in text and order.shipment.tracking_number in text, text
    assert text.startswith("Guten Tag,") and "Mit freundlichen Grüßen" in text
    html = reply.get_body(preferencelist=("html",)).get_content()
    assert 'lang="de"' in html and order.shipment.tracking_number in html
    assert len(smtp_relay.to(order.email)) >= 1
    assert len([m for m in smtp_relay.messages if message_id in str(m["In-Reply-To"])]) == 1

    # the shopper answers in the thread: same conversation
    conv = conversation_of(stack, message_id)
    follow = send(
        stack, order.email, f"Re: Bestellung {order.order_id}", "Danke!\n\n> alter Text",
        In_Reply_To=str(reply["Message-ID"]), References=str(reply["References"]) + " "
        + str(reply["Message-ID"]),
    )  # fmt: skip
    assert conversation_of(stack, follow)["conversation_id"] == conv["conversation_id"]
    assert conv["language"] == "de"


def test_spoofed_sender_gets_no_tracking_data(stack, smtp_relay, store) -> None:
    order = order_where(store, "stalled")
    message_id = send(
        stack,
        "someone@attacker.example",
        f"Bestellung {order.order_id}",
        f"Wo ist mein Paket {order.order_id}? Meine E-Mail ist {order.email}.",
    )
    text = text_of(answer_to(smtp_relay, message_id))
    assert order.shipment.tracking_number not in text and order.email not in text
    assert "Sendungsnummer" not in text, text


def test_scam_mail_is_queued_with_reason_fraud(stack, smtp_relay) -> None:
    message_id = send(
        stack, "angry@example.org", "scam!", "This shop is a scam! I want my money back."
    )
    conv = conversation_of(stack, message_id)
    deadline = time.monotonic() + 30
    # (the queue entry is written first, the reason with the bot's replies just after)
    while not (conv.get("mode") == "queued" and conv.get("queued_reason")):
        assert time.monotonic() < deadline, conv
        time.sleep(0.2)
        conv = conversation_of(stack, message_id)
    assert conv["mode"] == "queued"
    r = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    assert r.zscore(keys.QUEUE, conv["conversation_id"]) is not None
    assert conv["queued_reason"] == "fraud", conv
    assert [r["code"] for r in json.loads(conv["escalation"])["reasons"]][0] == "fraud"
    notice = answer_to(smtp_relay, message_id)  # the honest queue notice, by email

    # an agent answers in the console; the reply goes out as an email in the thread
    conv_id = conv["conversation_id"]

    async def agent_answers() -> None:
        async with aiohttp.ClientSession() as s:
            admin = await AgentClient(s, stack.gateway_url, "admin", "demo-admin-2026").connect()
            await admin.call(type="status", status="available")
            assert (await admin.call(type="claim", conversation_id=conv_id))["type"] == "ok"
            text = "I am sorry about this. I have checked your payment and will refund you."
            assert (await admin.call(type="message", conversation_id=conv_id, text=text))[
                "type"
            ] == "ok"
            page = await s.get(
                f"{stack.gateway_url}/console/mail",
                headers={"Authorization": f"Bearer {admin.token}"},
            )
            assert page.status == 200  # (the relay, not the catcher, gets mail in tests)
            assert (await s.get(f"{stack.gateway_url}/console/mail")).status == 401
            await admin.close()

    asyncio.run(agent_answers())
    reply = smtp_relay.wait_for(  # (the relay also gets proactive notices to other shoppers)
        lambda m: "refund you" in text_of(m) and "angry@example.org" in str(m["To"]), 30
    )
    assert str(reply["To"]) == "angry@example.org" and reply["Auto-Submitted"] is None
    assert str(reply["In-Reply-To"]) == f"<{message_id}>"
    assert str(notice["Message-ID"]) in str(reply["References"])


def test_auto_reply_gets_no_answer(stack, smtp_relay) -> None:
    message_id = send(
        stack,
        "holiday@example.org",
        "Automatic reply: Re: your order",
        "I am out of the office until Monday. Where is my parcel?",
        Auto_Submitted="auto-replied",
    )
    control = send(stack, "holiday@example.org", "Hello", "Where is my parcel?")
    answer_to(smtp_relay, control)  # the person's mail was answered, so mail is flowing
    assert not [m for m in smtp_relay.messages if message_id in str(m["In-Reply-To"])]
    r = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    assert r.get(keys.email_thread(message_id)) is None
    originals = json.dumps(
        [r.lrange(keys.email_originals(c), 0, -1) for c in r.smembers(keys.EMAIL_CONVERSATIONS)]
    )
    assert message_id not in originals


def test_photo_of_damage_is_kept_for_the_agent_and_an_exe_refused(stack, smtp_relay) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"] = "photo@example.fr", "care@shop.example"
    msg["Subject"] = "Article cassé"
    message_id = f"{uuid.uuid4().hex}@mail.example.net"
    msg["Message-ID"] = f"<{message_id}>"
    msg.set_content("Bonjour, l'article est arrivé cassé. Voici une photo.")
    photo = b"\x89PNG\r\n\x1a\n" + b"\0" * 2000
    msg.add_attachment(photo, maintype="image", subtype="png", filename="casse.png")
    msg.add_attachment(b"MZ\0\0", maintype="application", subtype="octet-stream",
                       filename="facture.exe")  # fmt: skip
    with smtplib.SMTP("127.0.0.1", stack.email_inbound_port, timeout=10) as client:
        client.send_message(msg)
    conv_id = conversation_of(stack, message_id)["conversation_id"]
    answer_to(smtp_relay, message_id)

    async def agent_reads() -> None:
        async with aiohttp.ClientSession() as s:
            login = await s.post(
                f"{stack.gateway_url}/api/auth/login",
                json={"login": "lena", "password": "demo-lena-2026"},
            )
            auth = {"Authorization": f"Bearer {(await login.json())['token']}"}
            url = f"{stack.gateway_url}/api/console/email/{conv_id}"
            assert (await s.get(url)).status == 401
            [mail] = (await (await s.get(url, headers=auth)).json())["mails"]
            assert mail["from"] == "photo@example.fr" and "cassé" in mail["original"]
            assert [r["name"] for r in mail["refused"]] == ["facture.exe"]
            [file] = mail["attachments"]
            got = await s.get(f"{url}/files/{file['id']}", headers=auth)
            assert got.status == 200 and await got.read() == photo
            assert got.headers["Content-Type"] == "image/png"
            assert got.headers["Content-Disposition"].startswith("attachment")

    asyncio.run(agent_reads())


def test_after_hours_chat_gets_the_agents_answer_by_email(stack, smtp_relay, store) -> None:
    """The bot promises an email answer outside chat hours; the agent's reply keeps it."""
    from handoff.dev.launcher import free_port, wait_http
    from tests.conftest import say

    order = order_where(store, "in_transit", status="shipped", country="DE")
    port = free_port()
    proc = stack._spawn(
        "gateway-closed",
        [sys.executable, "-m", "handoff.dev.gateway"],
        "gateway-closed.log",
        # chat hours that are never open (the first minute after midnight aside)
        {"GATEWAY_PORT": str(port), "EMAIL_INBOUND_PORT": "0", "HANDOFF_CHAT_HOURS": "00:00-00:00"},
    )
    closed = f"http://127.0.0.1:{port}"
    wait_http(f"{closed}/healthz", 60, proc)
    c = "ah" + uuid.uuid4().hex[:12]

    async def go() -> None:
        async with aiohttp.ClientSession() as s:
            await say(s, closed, c, f"Hallo, meine Bestellung {order.order_id}, {order.email}")
            queued = await say(s, closed, c, "Ich möchte bitte mit einem Mitarbeiter sprechen")
            assert queued["mode"] == "queued", queued
            notice = " ".join(r["text"] for r in queued["replies"])
            assert "24 Stunden per E-Mail an " + order.email in notice, notice
            admin = await AgentClient(s, stack.gateway_url, "admin", "demo-admin-2026").connect()
            await admin.call(type="status", status="available")
            assert (await admin.call(type="claim", conversation_id=c))["type"] == "ok"
            text = "Guten Morgen, ich habe Ihre Sendung geprüft."
            sent = await admin.call(type="message", conversation_id=c, text=text)
            assert sent["type"] == "ok", sent
            await admin.close()

    try:
        asyncio.run(go())
        mail = smtp_relay.wait_for(lambda m: "Ihre Sendung geprüft" in text_of(m), 30)
        assert str(mail["To"]) == order.email
        assert str(mail["Subject"]) == "Ihre Anfrage an unseren Kundenservice"
        assert "Mit freundlichen Grüßen" in text_of(mail)
    finally:
        stack.kill("gateway-closed")
