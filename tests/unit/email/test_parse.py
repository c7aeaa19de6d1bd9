"""Inbound MIME parsing on crafted mail: broken MIME, charsets, HTML, quotes, files, robots."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from handoff.channels.email.parse import parse

DOMAIN = "shop.example"


def build(body: str = "Hello", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Anna Muster <anna@example.de>")
    msg["To"] = "care@shop.example"
    msg["Subject"] = headers.pop("Subject", "Question")
    msg["Message-ID"] = headers.pop("Message_ID", "<abc123@example.de>")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def test_plain_mail_gives_sender_thread_and_order() -> None:
    msg = build(
        "Mein Paket XB-204518 hängt fest.",
        In_Reply_To="<m1@shop.example>",
        References="<m0@shop.example> <m1@shop.example>",
    )
    mail = parse(msg.as_bytes(), DOMAIN, 1000)
    assert mail.sender == "anna@example.de" and mail.sender_name == "Anna Muster"
    assert mail.message_id == "abc123@example.de"
    assert mail.thread_ids == ("m1@shop.example", "m0@shop.example")
    assert mail.order_id == "XB-204518" and mail.automatic is None


def test_order_number_in_subject_and_hash_form() -> None:
    assert parse(build("x", Subject="Order #204519").as_bytes(), DOMAIN, 10).order_id == (
        "XB-204519"
    )
    assert parse(build("call 0301234567").as_bytes(), DOMAIN, 10).order_id is None


def test_order_number_typed_in_arabic_indic_digits() -> None:
    mail = build("السلام عليكم، طلبي رقم XB-٢٠٤٥١٩ ما وصل")
    assert parse(mail.as_bytes(), DOMAIN, 10).order_id == "XB-204519"


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, 1 Dec 2026 at 10:00, Care <care@shop.example> wrote:",
        "Am 01.12.2026 um 10:00 schrieb Care <care@shop.example>:",
        "Le lun. 1 déc. 2026 à 10:00, Care <care@shop.example> a écrit :",
        "El lun, 1 dic 2026 a las 10:00, Care (<care@shop.example>) escribió:",
        "Il giorno lun 1 dic 2026 alle ore 10:00 Care <care@shop.example> ha scritto:",
        "Em seg., 1 de dez. de 2026 às 10:00, Care <care@shop.example> escreveu:",
        "2026年12月1日(月) 10:00 Care <care@shop.example>が書きました:",
        "في الاثنين، 1 ديسمبر 2026 في 10:00 ص Care <care@shop.example> كتب:",
        "Vào Th 2, 1 thg 12, 2026 lúc 10:00 Care <care@shop.example> đã viết:",
        "เมื่อ วันจันทร์ที่ 1 ธ.ค. 2026 10:00 Care <care@shop.example> เขียนว่า:",
        "-----Original Message-----",
        "-----Ursprüngliche Nachricht-----",
    ],
)
def test_quoted_history_is_cut_in_many_languages(attribution: str) -> None:
    body = f"Still nothing arrived.\n\n{attribution}\n> Your parcel is on its way.\nold text\n"
    mail = parse(build(body).as_bytes(), DOMAIN, 10)
    assert mail.text == "Still nothing arrived."
    assert "Your parcel is on its way." in mail.original  # the original is kept


def test_wrapped_attribution_outlook_block_and_signature() -> None:
    body = (
        "Where is it?\n\nOn Mon, 1 Dec 2026 at 10:00, Customer Care\n<care@shop.example>"
        " wrote:\n> earlier\n"
    )
    assert parse(build(body).as_bytes(), DOMAIN, 10).text == "Where is it?"
    outlook = "Bitte um Antwort.\n\nVon: Care <care@shop.example>\nGesendet: Montag\nalt"
    assert parse(build(outlook).as_bytes(), DOMAIN, 10).text == "Bitte um Antwort."
    signed = "Thanks!\n-- \nAnna Muster\nMusterstraße 1"
    assert parse(build(signed).as_bytes(), DOMAIN, 10).text == "Thanks!"
    inline = "> quoted line\nmy answer\n> another"
    assert parse(build(inline).as_bytes(), DOMAIN, 10).text == "my answer"


def test_html_only_mail_drops_scripts_styles_and_quotes() -> None:
    msg = build("")
    msg.set_content(
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
        "<p>Where is my <b>parcel</b>?</p><img src=x onerror=alert(1)>"
        "<blockquote><p>Your parcel shipped.</p></blockquote></body></html>",
        subtype="html",
    )
    mail = parse(msg.as_bytes(), DOMAIN, 10)
    assert mail.html_only
    assert mail.text == "Where is my parcel?"
    assert "alert" not in mail.original and "color" not in mail.original


def test_unknown_charset_decodes_with_replacement() -> None:
    raw = (
        b"From: a@example.com\r\nTo: care@shop.example\r\nSubject: x\r\n"
        b"Content-Type: text/plain; charset=x-klingon-9\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nWo ist mein Paket? \xff\xfe caf\xc3\xa9\r\n"
    )
    mail = parse(raw, DOMAIN, 10)
    assert "Wo ist mein Paket?" in mail.text and "café" in mail.text and "\ufffd" in mail.text


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"garbage without headers",
        b"From: <<<@@@>>>\r\nSubject: =?utf-8?B?!!!?=\r\nMessage-ID: <unclosed\r\n"
        b'Content-Type: multipart/mixed; boundary="zz"\r\n\r\n--zz\r\nContent-Type: '
        b"text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@not base64@@@\r\n",
        b"Content-Type: multipart/alternative\r\n\r\nno boundary at all",
    ],
)
def test_malformed_mime_never_raises(raw: bytes) -> None:
    mail = parse(raw, DOMAIN, 10)
    assert mail.automatic == "bounce"  # no usable sender address: never answered
    assert isinstance(mail.text, str)


def test_attachments_allow_list_and_size_limit() -> None:
    msg = build("Photo of the damage attached.")
    msg.add_attachment(b"\x89PNG" + b"0" * 100, maintype="image", subtype="png", filename="a.png")
    msg.add_attachment(b"%PDF" + b"0" * 5000, maintype="application", subtype="pdf",
                       filename="big.pdf")  # fmt: skip
    msg.add_attachment(b"MZ", maintype="application", subtype="x-msdownload", filename="x.exe")
    mail = parse(msg.as_bytes(), DOMAIN, 1000)
    assert [(a.filename, a.content_type) for a in mail.attachments] == [("a.png", "image/png")]
    assert mail.attachments[0].data.startswith(b"\x89PNG")
    assert {(r.filename, r.reason) for r in mail.refused} == {("big.pdf", "size"),
                                                              ("x.exe", "type")}  # fmt: skip
    assert mail.text == "Photo of the damage attached."


@pytest.mark.parametrize(
    "headers,envelope_from,reason",
    [
        ({"Auto_Submitted": "auto-replied"}, None, "auto-submitted"),
        ({"Precedence": "bulk"}, None, "precedence"),
        ({"X_Autoreply": "yes"}, None, "autoreply"),
        ({"List_Id": "<news.example.com>"}, None, "list"),
        ({"From": "MAILER-DAEMON@mx.example.com"}, None, "bounce"),
        ({"From": "postmaster@example.com"}, None, "bounce"),
        ({}, "", "bounce"),  # null envelope sender (MAIL FROM:<>)
        ({"Message_ID": "<x1@shop.example>"}, None, "loop"),  # our own mail came back
    ],
)
def test_machine_mail_is_marked(
    headers: dict[str, str], envelope_from: str | None, reason: str
) -> None:
    mail = parse(build("Out of office", **headers).as_bytes(), DOMAIN, 10, envelope_from)
    assert mail.automatic == reason


def test_auto_submitted_no_is_a_person() -> None:
    mail = parse(build("Hi", Auto_Submitted="no").as_bytes(), DOMAIN, 10, "anna@example.de")
    assert mail.automatic is None


@pytest.mark.parametrize(
    "results,forged",
    [
        (
            "mx.shop.example; spf=pass smtp.mailfrom=example.de; dkim=pass header.d=example.de",
            False,
        ),
        ("mx.shop.example; dmarc=fail (p=none) header.from=example.de", True),
        ("mx.shop.example; spf=fail smtp.mailfrom=example.de", True),
        (
            "mx.shop.example; spf=fail smtp.mailfrom=example.de; dkim=pass header.d=example.de",
            False,
        ),
    ],
)
def test_forged_sender_from_authentication_results(results: str, forged: bool) -> None:
    msg = build("Where is XB-204518?", Authentication_Results=results)
    assert parse(msg.as_bytes(), DOMAIN, 10).sender_forged is forged
    assert parse(build("x").as_bytes(), DOMAIN, 10).sender_forged is False
