"""An email conversation in the agent console, in real Chromium on the real stack: a shopper
mails the gateway's SMTP listener an HTML-only message (with a <script> and an onerror
image in it) and a PDF; the agent opens the queued conversation and sees the mail as
received — the HTML as text, the script never run — and downloads the attachment."""

from __future__ import annotations

import smtplib
import time
import uuid
from email.message import EmailMessage

import pytest
import redis
from playwright.sync_api import expect

from handoff import keys
from tests.browser.test_widget import REPLY_TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.stack]

HTML = (
    "<html><head><script>window.__mailRan = 1; alert('head')</script></head><body>"
    "<p>Hello, I would like to speak to a person about my parcel, please.</p>"
    "<img src=x onerror=\"window.__mailRan = 2; alert('img')\">"
    "<script>window.__mailRan = 3; alert('body')</script>"
    "<blockquote>On Monday the shop wrote: your parcel has shipped.</blockquote>"
    "</body></html>"
)
PDF = b"%PDF-1.4\n% receipt of the shopper\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


def mail_the_gateway(port: int) -> str:
    msg = EmailMessage()
    msg["From"], msg["To"] = "Ann Shopper <ann.html@example.org>", "care@shop.example"
    msg["Subject"] = "My parcel"
    message_id = f"{uuid.uuid4().hex}@mail.example.net"
    msg["Message-ID"] = f"<{message_id}>"
    msg.set_content(HTML, subtype="html")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="receipt 04.pdf")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(msg)
    return message_id


def queued_conversation(redis_url: str, message_id: str) -> str:
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        conv_id = r.get(keys.email_thread(message_id))
        if conv_id and r.zscore(keys.QUEUE, conv_id) is not None:
            return str(conv_id)
        time.sleep(0.2)
    raise AssertionError(f"the mail {message_id} was not queued for a person")


def test_agent_reads_an_html_mail_as_text_and_downloads_its_attachment(
    open_page, stack, tmp_path
) -> None:
    conv_id = queued_conversation(stack.redis_url, mail_the_gateway(stack.email_inbound_port))

    console = open_page(stack.gateway_url + "/console/", locale="en-US")
    page = console.page
    page.fill("#login-name", "mark")
    page.fill("#login-password", "demo-mark-2026")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#app")).to_be_visible()
    item = page.locator(f'#queue li[data-conv="{conv_id}"]')
    expect(item).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    item.click()

    view = page.locator("#email-view")
    expect(view).to_be_visible()
    mail = view.locator(".mail")
    expect(mail).to_have_count(1)
    expect(mail.locator(".mail-head")).to_contain_text("ann.html@example.org · My parcel")
    expect(mail.locator(".mail-new")).to_contain_text("speak to a person about my parcel")
    # the quoted history is folded away, and there as text
    original = mail.locator("pre.mail-original")
    expect(original).to_be_hidden()
    mail.locator("summary", has_text="quoted history").click()
    expect(original).to_contain_text("your parcel has shipped")
    # the HTML source is text: the markup shows, nothing was made from it, nothing ran
    mail.locator("summary", has_text="HTML source").click()
    source = mail.locator("pre.source")
    expect(source).to_contain_text("<script>window.__mailRan = 3;")
    expect(source).to_contain_text("onerror=")
    assert page.locator("#email-view script, #email-view img, #email-view iframe").count() == 0
    assert page.evaluate("window.__mailRan") is None

    link = mail.locator(".files a.download")
    expect(link).to_have_text("receipt 04.pdf")
    expect(mail.locator(".files li")).to_contain_text(f"application/pdf · {len(PDF) / 1024:.1f} KB")
    with page.expect_download() as info:
        link.click()
    download = info.value
    saved = tmp_path / "got.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == PDF
    assert download.suggested_filename == "receipt_04.pdf"  # the server's safe name wins

    # the same link without the staff session: refused
    anonymous = open_page(locale="en-US")
    href = link.get_attribute("href")
    assert href is not None
    answer = anonymous.page.request.get(stack.gateway_url + href)
    assert answer.status == 401
    served = page.request.get(stack.gateway_url + href)
    assert served.status == 200
    assert served.headers["content-disposition"] == 'attachment; filename="receipt_04.pdf"'
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]

    assert console.dialogs == []
    console.assert_clean(allow_console=r"401")  # /api/auth/me before logging in
