"""The email channel over real SMTP: the inbound listener (aiosmtpd on our loop) receiving
mail sent with smtplib, replies through a real relay, the catcher keeping mail in Redis."""

from __future__ import annotations

import asyncio
import hmac
import smtplib
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP
from redis.asyncio import Redis

from handoff import keys
from handoff.channels.email.catcher import CatcherHandler, caught
from handoff.channels.email.inbound import EmailInbound, SmtpHandler
from handoff.channels.email.outbound import Mailer, SmtpTarget, compose
from handoff.channels.email.threads import Threads
from handoff.conversations.text import ShopperText
from handoff.dev.launcher import free_port
from handoff.settings import Settings
from tests.support.smtp_relay import SmtpRelay

SECRET = "unit-secret"


class RecordingConversations:
    """Stands in for the pipeline (not under test here): records calls, answers like the
    bot would, in the language the test asks for."""

    def __init__(self, replies: list[dict[str, Any]], mode: str = "bot") -> None:
        self.calls: list[tuple[str, ShopperText, dict[str, Any], str | None]] = []
        self.replies, self.mode = replies, mode

    async def shopper_message(
        self, conv_id: str, text: ShopperText, metadata: dict[str, Any], client_id: str | None
    ) -> dict[str, Any]:
        self.calls.append((conv_id, text, metadata, client_id))
        return {"replies": self.replies, "language": "ar", "mode": self.mode}


@pytest.fixture
def relay():  # type: ignore[no-untyped-def]
    server = SmtpRelay().start()
    yield server
    server.stop()


def mail(sender: str, subject: str, body: str, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "care@shop.example", subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


async def _send(port: int, msg: EmailMessage) -> None:
    def go() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(msg)

    await asyncio.get_running_loop().run_in_executor(None, go)


async def _until(check: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_inbound_mail_is_one_threaded_reply_and_robots_are_ignored(redis_url, relay) -> None:  # type: ignore[no-untyped-def]
    async def go() -> None:
        redis = Redis.from_url(redis_url)
        settings = Settings(smtp_url=relay.url, customer_token_secret=SECRET)
        convs = RecordingConversations(
            [
                {"text": "شكرًا لرسالتك."},
                {"text": "<b>رقم الطلب؟</b>", "buttons": [{"title": "نعم"}]},
            ]
        )
        threads = Threads(redis, 3600)
        inbound = EmailInbound(settings, lambda: convs, lambda: threads, Mailer(relay.url))  # type: ignore[arg-type,return-value]
        port = free_port()
        server = await asyncio.get_running_loop().create_server(
            lambda: SMTP(SmtpHandler(inbound)), host="127.0.0.1", port=port
        )
        try:
            await _send(port, mail("Sara <Sara@Example.com>", "أين طلبي؟", "أين طلبي XB-204518؟",
                                   Message_ID="<first@example.com>"))  # fmt: skip
            await _until(lambda: len(relay.messages) == 1)
            conv_id, text, metadata, client_id = convs.calls[0]
            assert text.original == "أين طلبي؟\nأين طلبي XB-204518؟"  # subject + body, new thread
            assert metadata["channel"] == "email" and metadata["email"] == "sara@example.com"
            email, expiry, sig = metadata["customer_token"].split("|")
            expected = hmac.new(SECRET.encode(), f"{email}|{expiry}".encode(), "sha256")
            assert email == "sara@example.com" and sig == expected.hexdigest()
            reply = relay.messages[0]
            assert str(reply["In-Reply-To"]) == "<first@example.com>"
            assert str(reply["Subject"]) == "Re: أين طلبي؟" and reply["Auto-Submitted"]
            plain = reply.get_body(preferencelist=("plain",)).get_content()
            assert "شكرًا لرسالتك." in plain and "• نعم" in plain
            assert plain.startswith("مرحبًا،") and "مع أطيب التحيات" in plain  # a letter
            html = reply.get_body(preferencelist=("html",)).get_content()
            assert 'dir="rtl"' in html and 'lang="ar"' in html
            assert "&lt;b&gt;" in html and "<b>" not in html  # our own text, escaped

            # the answer to our reply continues the conversation, quotes cut
            await _send(port, mail("sara@example.com", "Re: أين طلبي؟", "نعم\n\n> old",
                                   Message_ID="<second@example.com>",
                                   In_Reply_To=str(reply["Message-ID"])))  # fmt: skip
            await _until(lambda: len(relay.messages) == 2)
            assert convs.calls[1][0] == conv_id and convs.calls[1][1].plain == "نعم"
            assert "first@example.com" in str(relay.messages[1]["References"])

            # someone else replying into that thread starts their own conversation
            await _send(port, mail("other@example.com", "Re: x", "hi",
                                   Message_ID="<third@example.com>",
                                   In_Reply_To=str(reply["Message-ID"])))  # fmt: skip
            await _until(lambda: len(convs.calls) == 3)
            assert convs.calls[2][0] != conv_id

            # robots: never handed to the bot, never answered
            for headers in ({"Auto_Submitted": "auto-replied"}, {"Precedence": "bulk"}):
                await _send(port, mail("sara@example.com", "Out of office", "away", **headers))
            await _send(port, mail("MAILER-DAEMON@mx.example.com", "Undeliverable", "failed"))
            await asyncio.sleep(0.5)
            assert len(convs.calls) == 3 and len(relay.messages) == 3
        finally:
            server.close()
            await redis.close()

    asyncio.run(go())


def test_catcher_keeps_mail_in_redis(redis_url) -> None:  # type: ignore[no-untyped-def]
    async def go() -> None:
        redis = Redis.from_url(redis_url)
        await redis.delete(keys.MAIL_CATCHER)
        port = free_port()
        server = await asyncio.get_running_loop().create_server(
            lambda: SMTP(CatcherHandler(redis)), host="127.0.0.1", port=port
        )
        try:
            msg = compose(
                sender="care@shop.example", to="anna@example.de", subject="Bestellung",
                paragraphs=["Guten Tag <script>alert(1)</script>"], lang="de",
                domain="shop.example", in_reply_to="x@y",
            )  # fmt: skip
            await Mailer(f"smtp://127.0.0.1:{port}").send(msg)
            [item] = await caught(redis)
            assert item["subject"] == "Re: Bestellung" and item["to"] == "anna@example.de"
            assert item["in_reply_to"] == "<x@y>" and "Guten Tag" in item["text"]
            assert item["language"] == "de"
            assert "&lt;script&gt;" in item["html"]
        finally:
            server.close()
            await redis.close()

    asyncio.run(go())


def test_smtp_url_forms() -> None:
    t = SmtpTarget.from_url("smtp://us%40er:p%3Ass@mail.example.com:587?starttls=1")
    assert (t.host, t.port, t.user, t.password, t.starttls) == (
        "mail.example.com", 587, "us@er", "p:ss", True)  # fmt: skip
    assert SmtpTarget.from_url("smtps://mail.example.com").port == 465
    with pytest.raises(ValueError):
        SmtpTarget.from_url("http://mail.example.com")


def test_agent_replies_are_mailed_once_for_email_and_after_hours_chats(redis_url, relay) -> None:  # type: ignore[no-untyped-def]
    from handoff.channels.email.channel import AgentReplyForwarder
    from handoff.conversations.store import ConversationStore

    async def go() -> None:
        redis = Redis.from_url(redis_url)
        store = ConversationStore(redis, 3600)
        threads = Threads(redis, 3600)
        inbound = EmailInbound(Settings(), lambda: None, lambda: threads, Mailer(relay.url))  # type: ignore[arg-type,return-value]
        # two forwarders: two gateways' hubs on one Redis each hear every entry
        forwarders = [AgentReplyForwarder(redis, inbound) for _ in range(2)]

        async def append(conv_id: str, entries: list[dict[str, Any]], **meta: Any) -> None:
            for entry in await store.append_many(conv_id, entries, meta=meta or None):
                for forward in forwarders:
                    await forward(conv_id, entry)

        try:
            # an after-hours chat: the shopper was promised the answer at the order's email
            await store.append_many("chat-after-hours", [], meta={"email_followup": "k@ex.de"})
            await append("chat-plain", [{"speaker": "agent", "text": "nope"}])
            await append(
                "chat-after-hours",
                [
                    {"speaker": "shopper", "text": "Hallo?", "language": "de"},
                    {"speaker": "agent", "text": "Guten Morgen, Ihr Paket ...", "language": "de"},
                ],
            )
            mail = await asyncio.to_thread(relay.wait_for, lambda m: "k@ex.de" in str(m["To"]), 10)
            assert str(mail["Subject"]) == "Ihre Anfrage an unseren Kundenservice"
            assert "Guten Morgen" in mail.get_body(preferencelist=("plain",)).get_content()
            assert mail["Auto-Submitted"] is None  # a person wrote it
            body = mail.get_body(preferencelist=("plain",)).get_content()
            assert "Mit freundlichen Grüßen" in body and not body.startswith("Guten Tag")
            await append(
                "chat-after-hours", [{"speaker": "agent", "text": "Noch etwas:", "language": "de"}]
            )
            second = await asyncio.to_thread(
                relay.wait_for, lambda m: "Noch etwas" in m.get_body().get_content(), 10
            )
            assert str(second["In-Reply-To"]) == str(mail["Message-ID"])  # threaded
            assert str(second["Subject"]) == "Re: Ihre Anfrage an unseren Kundenservice"
            await asyncio.sleep(0.5)
            assert len(relay.messages) == 2  # once each, though two forwarders heard them
        finally:
            await redis.close()

    asyncio.run(go())


def test_forged_sender_gets_no_address_token(redis_url) -> None:  # type: ignore[no-untyped-def]
    async def go() -> None:
        redis = Redis.from_url(redis_url)
        convs = RecordingConversations([])
        threads = Threads(redis, 3600)
        settings = Settings(customer_token_secret=SECRET)
        inbound = EmailInbound(settings, lambda: convs, lambda: threads, Mailer(""))  # type: ignore[arg-type,return-value]
        try:
            forged = mail(
                "owner@example.de", "XB-204518", "Wo ist mein Paket?",
                Message_ID="<f1@example.net>",
                Authentication_Results="mx.shop.example; dmarc=fail header.from=example.de",
            )  # fmt: skip
            assert await inbound.receive(forged.as_bytes(), "owner@example.de")
            genuine = mail("owner@example.de", "XB-204518", "Wo?", Message_ID="<g1@example.net>")
            assert await inbound.receive(genuine.as_bytes(), "owner@example.de")
            assert convs.calls[0][2]["customer_token"] == ""
            assert convs.calls[1][2]["customer_token"].startswith("owner@example.de|")
        finally:
            await redis.close()

    asyncio.run(go())
