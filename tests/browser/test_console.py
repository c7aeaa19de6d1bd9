"""Widget and agent console together in real Chromium on the real stack: a shopper asks
for a person, an agent logs in in a second browser context, sees the chat with its reasons,
claims it and replies; the shopper's widget shows the reply and the agent's name. Markup a
shopper typed stays text in the console too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_widget import REPLY_TIMEOUT_MS, SCREENSHOTS, WIDGET, Widget, get_json

pytestmark = [pytest.mark.browser, pytest.mark.stack]

PAYLOAD = "<img src=x onerror=alert(1)><script>alert(2)</script><b>bold</b> my order is late"


def test_person_request_is_claimed_and_answered_from_the_console(open_page, stack) -> None:
    shop = open_page(stack.gateway_url + "/", locale="en-US")
    widget = Widget(shop.page)
    widget.open()
    widget.input.fill(PAYLOAD)
    widget.input.press("Enter")
    expect(widget.bot).not_to_have_count(0, timeout=REPLY_TIMEOUT_MS)
    widget.settle()
    shop.page.locator(f"{WIDGET} .human").click()
    status = shop.page.locator(f"{WIDGET} .status")
    expect(status).to_have_text("Waiting for a team member…", timeout=REPLY_TIMEOUT_MS)
    conv_id = widget.conversation_id

    console = open_page(stack.gateway_url + "/console/", locale="en-US")
    page = console.page
    expect(page.locator("#login")).to_be_visible()
    page.fill("#login-name", "mark")
    page.fill("#login-password", "wrong password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("wrong login or password")
    page.fill("#login-password", "demo-mark-2026")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#app")).to_be_visible()
    page.select_option("#status", "available")

    item = page.locator(f'#queue li[data-conv="{conv_id}"]')
    expect(item).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    expect(item.locator(".reason")).to_contain_text(["human"])
    expect(item.locator(".sla")).to_have_text(re.compile(r"^SLA \d+:\d\d$"))
    item.click()
    transcript = page.locator("#transcript")
    expect(transcript.locator(".msg.shopper .body").first).to_have_text(PAYLOAD)
    page.click("#claim")
    expect(page.locator("#composer-area")).to_be_visible()
    expect(page.locator(f'#mine li[data-conv="{conv_id}"]')).to_be_visible()
    # the shopper's markup is text in the console: nothing was created from it
    assert page.locator("#transcript img, #transcript b, #transcript script").count() == 0
    expect(page.locator("#order-panel")).to_contain_text("No verified order")

    page.fill("#reply", "Hi, I'm Mark from the team. I'm looking into your order now.")
    page.press("#reply", "Enter")
    expect(transcript.locator(".msg.agent .body")).to_have_text(
        ["Hi, I'm Mark from the team. I'm looking into your order now."]
    )

    expect(status).to_have_text("Mark joined the chat")
    agent_msg = shop.page.locator(f"{WIDGET} .msg.agent")
    expect(agent_msg.locator(".who")).to_have_text("Mark")
    expect(agent_msg.locator(".text")).to_have_text(
        "Hi, I'm Mark from the team. I'm looking into your order now."
    )
    created = shop.page.evaluate("""() => {
        const root = document.querySelector('[data-xb-chat]').shadowRoot;
        return root.querySelectorAll('.log img, .log b, .log script').length; }""")
    assert created == 0

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console.png"))
    shop.page.screenshot(path=str(SCREENSHOTS / "widget-agent.png"))

    page.click("#handback")
    expect(status).to_have_text("Virtual assistant", timeout=REPLY_TIMEOUT_MS)
    meta = get_json(f"{stack.gateway_url}/api/conversations/{conv_id}", widget.token)["meta"]
    assert meta["mode"] == "bot"
    assert shop.dialogs == [] and console.dialogs == []
    shop.assert_clean()
    console.assert_clean(allow_console=r"401")  # /api/auth/me before logging in
