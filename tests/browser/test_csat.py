"""CSAT in real Chromium on the real stack: the shopper asks for a person, an agent claims
and closes the chat over the agent socket, the widget asks "How did we do?" and the shopper
clicks a rating button and sends it; the gateway stores the rating on the conversation."""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import aiohttp
import pytest
from playwright.sync_api import expect

from tests.browser.test_widget import Widget, get_json
from tests.support.agentclient import AgentClient

pytestmark = [pytest.mark.browser, pytest.mark.stack]

WIDGET = "[data-xb-chat]"
REPLY_TIMEOUT_MS = 45_000


def claim_and_close(base: str, conv_id: str) -> None:
    """The agent's side, on its own thread (Playwright's sync API owns this one)."""

    async def run() -> None:
        async with aiohttp.ClientSession() as s:
            lena = await AgentClient(s, base, "lena", "demo-lena-2026").connect()
            await lena.call(type="status", status="available")
            await lena.expect(
                lambda m: (
                    m["type"] == "queue"
                    and any(i["conversation_id"] == conv_id for i in m["items"])
                )
            )
            assert (await lena.call(type="claim", conversation_id=conv_id))["type"] == "ok"
            closed = await lena.call(
                type="close", conversation_id=conv_id, resolution="answered", issue_type="other"
            )
            assert closed["type"] == "ok", closed
            await lena.close()

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # noqa: BLE001 - re-raised on the test's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    if errors:
        raise errors[0]


def test_widget_csat_buttons_send_the_rating(open_page: Any, stack: Any) -> None:
    shop = open_page(locale="en-US")
    shop.page.goto(stack.gateway_url + "/")
    page = shop.page
    widget = Widget(page)
    page.locator(f"{WIDGET} .launcher").click()
    page.locator(f"{WIDGET} .human").click()
    expect(page.locator(f"{WIDGET} .status")).to_have_text(
        "Waiting for a team member…", timeout=REPLY_TIMEOUT_MS
    )
    csat = page.locator(f"{WIDGET} .csat")
    expect(csat).to_be_hidden()
    conv_id = str(page.evaluate("window.XBChat.conversationId"))
    claim_and_close(stack.gateway_url, conv_id)
    expect(csat).to_be_visible(timeout=15_000)
    expect(page.locator(f"{WIDGET} .csat-q")).to_have_text("How did we do?")
    send = page.locator(f"{WIDGET} .csat-send")
    expect(send).to_be_disabled()
    page.locator(f'{WIDGET} .csat-n[data-rating="4"]').click()
    expect(page.locator(f'{WIDGET} .csat-n[data-rating="4"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    page.locator(f"{WIDGET} .csat-comment").fill("Quick and friendly, thank you.")
    send.click()
    expect(csat).to_be_hidden()
    expect(page.locator(f"{WIDGET} .log > li.note").last).to_have_text(
        re.compile("Thank you for your feedback")
    )
    meta = get_json(f"{stack.gateway_url}/api/conversations/{conv_id}", widget.token)["meta"]
    assert meta["csat_rating"] == "4"
    assert meta["csat_comment"] == "Quick and friendly, thank you."
    assert meta["mode"] == "bot"  # a good rating does not reopen the chat
