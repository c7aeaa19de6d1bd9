"""The storefront chat widget in real Chromium against the real stack (Redis, Rasa, action
server, gateway): the demo shop, verified tracking answers in English and Arabic (RTL),
history across reloads, catching up after the server drops the socket, markup typed by a
shopper, conversation states, any page / any locale / a foreign origin, and screenshots
for docs/screenshots/."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bot.copy import Fmt
from scripts.widget_size import minify_js
from tests.conftest import order_where
from tests.support.browser import WatchedPage
from tests.support.stack import CUSTOMER_TOKEN_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.stack]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
REPLY_TIMEOUT_MS = 45_000  # a bot turn on a busy 2-core machine
ARABIC = re.compile(r"[\u0600-\u06FF]")
WIDGET = "[data-xb-chat]"

# Everything the widget shows in its log, read from its (open) shadow root.
_LOG_ENTRIES = """() => {
  const root = document.querySelector('[data-xb-chat]').shadowRoot;
  return Array.from(root.querySelectorAll('.log > li')).map(li => ({
    seq: li.dataset.seq ? Number(li.dataset.seq) : null,
    kind: li.className, text: (li.querySelector('.text') || li).textContent}));
}"""


# ---------------------------------------------------------------- helpers


def post_json(url: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Conversation-Token"] = token
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers=headers
    )
    with urllib.request.urlopen(request, timeout=60) as resp:
        return dict(json.loads(resp.read()))


def get_json(url: str, token: str | None = None) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"X-Conversation-Token": token} if token else {})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return dict(json.loads(resp.read()))


class Widget:
    """The chat widget on a page, driven the way a shopper would."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.locator(f"{WIDGET} .launcher")
        self.panel = page.locator(f"{WIDGET} .panel")
        self.input = page.locator(f"{WIDGET} .input")
        self.bot = page.locator(f"{WIDGET} .msg.bot .text")
        self.shopper = page.locator(f"{WIDGET} .msg.shopper[data-seq] .text")

    def open(self) -> None:
        expect(self.launcher).to_be_visible()
        self.launcher.click()
        expect(self.panel).to_be_visible()

    @property
    def conversation_id(self) -> str:
        return str(self.page.evaluate("window.XBChat.conversationId"))

    @property
    def token(self) -> str | None:
        """The conversation's token, where the widget keeps it (the shop origin's storage)."""
        value = self.page.evaluate(
            """(id) => { const k = Object.keys(localStorage).find(k => k.endsWith(id + ":token"));
                        return k ? localStorage.getItem(k) : null; }""",
            self.conversation_id,
        )
        return str(value) if value else None

    def entries(self) -> list[dict[str, Any]]:
        return list(self.page.evaluate(_LOG_ENTRIES))

    def bot_text_since(self, count: int) -> str:
        return "\n".join(self.bot.all_text_contents()[count:])

    def ask(self, text: str, expect_in_reply: str) -> str:
        """Type a message, press Enter, wait for the bot's reply containing a string."""
        before = self.bot.count()
        self.input.fill(text)
        self.input.press("Enter")
        self.page.wait_for_function(
            """([n, want]) => {
                 const root = document.querySelector('[data-xb-chat]').shadowRoot;
                 const texts = Array.from(root.querySelectorAll('.msg.bot .text'))
                   .slice(n).map(p => p.textContent).join('\\n');
                 return root.querySelectorAll('.msg.bot .text').length > n && texts.includes(want);
               }""",
            arg=[before, expect_in_reply],
            timeout=REPLY_TIMEOUT_MS,
        )
        self.settle()
        return self.bot_text_since(before)

    def settle(self) -> None:
        """Wait until no message of ours is still marked as sending."""
        expect(self.page.locator(f"{WIDGET} .msg.pending")).to_have_count(0)

    def wait_in_sync(self, gateway: str, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """Wait until the transcript ends with a bot reply and the widget shows all of it."""
        deadline = time.monotonic() + timeout_s
        while True:
            transcript = get_json(
                f"{gateway}/api/conversations/{self.conversation_id}", self.token
            )["transcript"]
            shown = [e for e in self.entries() if e["seq"] is not None]
            if (
                transcript
                and transcript[-1]["speaker"] == "bot"
                and [e["seq"] for e in shown] == [e["seq"] for e in transcript]
            ):
                return self.assert_matches_transcript(gateway)
            if time.monotonic() > deadline:
                return self.assert_matches_transcript(gateway)  # fails with the difference
            self.page.wait_for_timeout(300)

    def assert_matches_transcript(self, gateway: str) -> list[dict[str, Any]]:
        """The widget shows every transcript entry exactly once, in order, as text."""
        transcript = get_json(f"{gateway}/api/conversations/{self.conversation_id}", self.token)[
            "transcript"
        ]
        shown = [e for e in self.entries() if e["seq"] is not None]
        assert [e["seq"] for e in shown] == [e["seq"] for e in transcript]
        assert [e["text"] for e in shown] == [e["text"] for e in transcript]
        return shown


# WCAG relative luminance and contrast of each text against the background it is drawn on
_CONTRASTS = """(selectors) => {
  const root = document.querySelector('[data-xb-chat]').shadowRoot;
  const rgba = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((acc, v, i) => acc + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (let n = el; n && n.nodeType === 1; n = n.parentNode || null) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const out = {};
  for (const sel of selectors) {
    const el = root.querySelector(sel);
    if (!el) continue;
    const [a, b] = [lum(rgba(getComputedStyle(el).color)), lum(background(el))];
    out[sel] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }
  return out;
}"""


def assert_text_contrast(page: Page) -> None:
    """Every kind of text in the open panel has at least WCAG AA contrast (4.5:1)."""
    selectors = [
        ".title",
        ".status",
        ".msg.shopper .text",
        ".msg.bot .text",
        ".msg.agent .who",
        ".send",
        ".human",
        ".input",
        ".chip",
        ".note",
        ".empty",
    ]
    ratios = page.evaluate(_CONTRASTS, selectors)
    assert {".title", ".msg.shopper .text", ".msg.bot .text", ".send"} <= set(ratios)
    low = {sel: round(r, 2) for sel, r in ratios.items() if r < 4.5}
    assert low == {}, low


def exact(text: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(text) + "$")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.querySelector('[data-xb-chat]').shadowRoot.activeElement?.blur()")
    page.screenshot(path=str(SCREENSHOTS / name))


def track(widget: Widget, order: Any, question: str, asks_number: str, asks_email: str) -> str:
    """A tracking conversation: question, order number, email; the verified answer."""
    widget.ask(question, asks_number)
    widget.ask(order.order_id, asks_email)
    return widget.ask(order.email, order.shipment.tracking_number)


# ---------------------------------------------------------------- the scenarios


def test_demo_shop_english_tracking_question_gets_the_verified_answer(
    open_page, stack, store
) -> None:
    order = order_where(store, "in_transit", status="shipped")
    shop: WatchedPage = open_page(locale="en-US", width=1280, height=820)
    response = shop.page.goto(stack.gateway_url + "/")
    assert response is not None and response.ok
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    expect(shop.page.locator("h1")).to_have_text("Linen Wrap Dress")  # a product page
    widget = Widget(shop.page)
    expect(widget.launcher).to_have_attribute("aria-label", "Chat with us")
    widget.open()
    expect(widget.input).to_be_focused()
    expect(widget.page.locator(f"{WIDGET} .status")).to_have_text("Virtual assistant")

    reply = track(widget, order, "hi, where is my parcel?", "order number", "email")
    last = order.shipment.events[-1]
    assert order.shipment.carrier in reply
    assert last.place in reply
    assert Fmt("en", order.country).date(last.at) in reply

    widget.assert_matches_transcript(stack.gateway_url)
    assert widget.panel.evaluate("p => getComputedStyle(p).direction") == "ltr"
    assert_text_contrast(shop.page)
    screenshot(shop.page, "widget-ltr.png")
    shop.assert_clean()


def test_arabic_page_gets_an_rtl_panel_and_a_verified_answer_in_arabic(
    open_page, stack, store
) -> None:
    order = order_where(store, "in_transit", status="shipped")
    # the browser says English, the page says Arabic: the page's locale decides
    shop = open_page(stack.gateway_url + "/?locale=ar", locale="en-US", width=1280, height=820)
    widget = Widget(shop.page)
    expect(widget.launcher).to_have_attribute("aria-label", "تحدث معنا")
    widget.open()
    assert widget.panel.evaluate("p => getComputedStyle(p).direction") == "rtl"
    box = widget.panel.bounding_box()
    assert box is not None and box["x"] < 100  # mirrored: the panel sits on the left
    expect(shop.page.locator(f"{WIDGET} .send")).to_have_text("إرسال")

    reply = track(widget, order, "أين طلبي؟", "رقم الطلب", "البريد")
    assert len(ARABIC.findall(reply)) > 40, reply  # answered in Arabic script
    assert order.shipment.tracking_number in reply
    # every bot reply of the conversation is Arabic, and marked so for screen readers
    langs = shop.page.eval_on_selector_all(f"{WIDGET} .msg.bot .text", "ps => ps.map(p => p.lang)")
    assert set(langs) == {"ar"}
    widget.assert_matches_transcript(stack.gateway_url)
    screenshot(shop.page, "widget-rtl.png")
    shop.assert_clean()


def test_history_survives_reload_and_navigation_on_a_phone(open_page, stack) -> None:
    shop = open_page(
        stack.gateway_url + "/",
        locale="en-GB",
        width=390,
        height=844,
        is_mobile=True,
        has_touch=True,
    )
    widget = Widget(shop.page)
    widget.open()
    # under 480 px the panel is the whole screen
    assert widget.panel.bounding_box() == {"x": 0, "y": 0, "width": 390, "height": 844}
    widget.ask("hello there", "order")
    before = widget.assert_matches_transcript(stack.gateway_url)
    conv_id = widget.conversation_id

    shop.page.reload()
    expect(widget.panel).to_be_visible()  # it was open: it stays open on the next page
    expect(widget.shopper).to_have_count(1)
    assert widget.conversation_id == conv_id
    assert widget.assert_matches_transcript(stack.gateway_url) == before

    shop.page.goto(stack.gateway_url + "/?from=navigation")
    expect(widget.shopper).to_have_text(["hello there"])
    widget.ask("where is my order?", "order number")
    screenshot(shop.page, "widget-mobile.png")

    # a reply while the panel is closed shows on the launcher's badge, on any page
    shop.page.locator(f"{WIDGET} .close").click()
    expect(widget.launcher).to_be_focused()
    post_json(
        f"{stack.gateway_url}/api/conversations/{conv_id}/messages",
        {"text": "thanks!", "metadata": {"locale": "en-GB"}},
        widget.token,
    )
    badge = shop.page.locator(f"{WIDGET} .badge")
    expect(badge).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    unread = int(badge.text_content() or "0")
    assert unread >= 1
    expect(widget.launcher).to_have_attribute("aria-label", f"Chat with us ({unread} unread)")
    shop.page.reload()
    expect(badge).to_have_text(str(unread))  # still unread on the next page
    widget.open()
    expect(badge).to_be_hidden()
    widget.assert_matches_transcript(stack.gateway_url)
    shop.assert_clean()


def test_dropped_socket_reconnects_and_shows_what_was_said_meanwhile_once(open_page, stack) -> None:
    shop = open_page(stack.gateway_url + "/", locale="en-US")
    widget = Widget(shop.page)
    widget.open()
    widget.ask("hi", "order")
    last_seq = max(e["seq"] for e in widget.entries() if e["seq"])
    conv_id = widget.conversation_id

    # the server drops the socket and refuses new ones for a while ...
    hold_s = 4.0
    dropped_at = time.monotonic()
    closed = post_json(
        f"{stack.gateway_url}/api/test/drop-sockets",
        {"conversation_id": conv_id, "refuse_for_s": hold_s},
    )
    assert closed["closed"] == 1
    expect(shop.page.locator(f"{WIDGET} .offline")).to_have_text("Reconnecting…")
    # ... and meanwhile the conversation goes on without the widget
    result = post_json(
        f"{stack.gateway_url}/api/conversations/{conv_id}/messages",
        {"text": "where is my order?", "metadata": {"locale": "en-US"}},
        widget.token,
    )
    assert time.monotonic() - dropped_at < hold_s, "the REST turn outlasted the outage"
    missed = [r["text"] for r in result["replies"]]
    assert missed and "order number" in " ".join(missed)
    # the shopper types during the outage too: shown as sending, sent once back online
    typed = "are you still there?"
    widget.input.fill(typed)
    widget.input.press("Enter")
    pending = shop.page.locator(f"{WIDGET} .msg.pending")
    expect(pending.locator(".text")).to_have_text([typed])
    expect(pending.locator(".state")).to_have_text("Sending…")
    expect(shop.page.locator(f"{WIDGET} .offline")).to_be_visible()  # still disconnected

    # back online: what was said meanwhile appears once, in order, after what came before
    expect(shop.page.locator(f"{WIDGET} .offline")).to_be_hidden(timeout=30_000)
    for text in missed:
        expect(widget.bot.filter(has_text=exact(text))).to_have_count(1)
    expect(widget.shopper.filter(has_text=exact(typed))).to_have_count(1)
    expect(pending).to_have_count(0)
    shown = widget.wait_in_sync(stack.gateway_url)
    shop.page.wait_for_timeout(1000)  # late duplicates would show up now
    assert widget.assert_matches_transcript(stack.gateway_url) == shown
    seqs = [e["seq"] for e in shown]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) > last_seq
    new = [e["text"] for e in shown if e["seq"] > last_seq]
    assert new[: len(missed) + 2] == ["where is my order?", *missed, typed]
    texts = [e["text"] for e in shown]
    for text in [*missed, typed]:
        assert texts.count(text) == 1
    shop.assert_clean(allow_console=r"WebSocket connection to .* failed")


def test_markup_typed_by_a_shopper_renders_as_text(open_page, stack) -> None:
    payload = "<img src=x onerror=alert(1)><script>alert(2)</script><b>bold</b>"
    shop = open_page(stack.gateway_url + "/", locale="en-US")
    widget = Widget(shop.page)
    widget.open()
    widget.input.fill(payload)
    widget.input.press("Enter")
    expect(widget.shopper).to_have_text([payload])  # confirmed by the gateway, shown verbatim
    expect(widget.bot).not_to_have_count(0, timeout=REPLY_TIMEOUT_MS)
    widget.settle()
    created = shop.page.evaluate("""() => {
        const root = document.querySelector('[data-xb-chat]').shadowRoot;
        return {widget: root.querySelectorAll('.log img, .log b, .log script').length,
                page: document.querySelectorAll('img, b').length};
    }""")
    assert created == {"widget": 0, "page": 0}
    shop.page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert shop.dialogs == []
    shop.assert_clean()


def test_conversation_states_person_request_agent_joins_types_and_leaves(open_page, stack) -> None:
    """The real gateway queues the chat; the agent's side (not built yet) is played by
    frames injected into the real socket."""
    shop = open_page(locale="en-US")
    sockets: list[Any] = []

    def proxy(ws: Any) -> None:  # pass everything through, keep a handle to inject frames
        ws.connect_to_server()
        sockets.append(ws)

    shop.page.route_web_socket(re.compile(r".*/ws/shopper\?.*"), proxy)
    shop.page.goto(stack.gateway_url + "/")
    widget = Widget(shop.page)
    widget.open()
    status = shop.page.locator(f"{WIDGET} .status")
    human = shop.page.locator(f"{WIDGET} .human")
    notes = shop.page.locator(f"{WIDGET} .log > li.note")

    human.click()  # sends /human_handoff, shown with the button's words
    expect(widget.shopper).to_have_text(["Talk to a person"])
    expect(status).to_have_text("Waiting for a team member…", timeout=REPLY_TIMEOUT_MS)
    expect(human).to_be_hidden()
    expect(widget.bot).not_to_have_count(0)
    assert (
        get_json(f"{stack.gateway_url}/api/conversations/{widget.conversation_id}", widget.token)[
            "meta"
        ]["mode"]
        == "queued"
    )

    def inject(frame: dict[str, Any]) -> None:
        sockets[-1].send(json.dumps(frame))

    inject({"type": "mode", "mode": "agent", "agent_name": "Lena"})
    expect(status).to_have_text("Lena joined the chat")
    inject({"type": "typing", "speaker": "agent"})
    expect(shop.page.locator(f"{WIDGET} .typing")).to_have_text("Lena is typing…")
    inject(
        {
            "type": "entry",
            "entry": {
                "seq": 1000,
                "at": time.time(),
                "speaker": "agent",
                "text": "Hi, I'm Lena. Let me check that for you.",
                "language": "en",
                "agent": {"name": "Lena"},
            },
        }
    )
    agent_msg = shop.page.locator(f"{WIDGET} .msg.agent")
    expect(agent_msg.locator(".who")).to_have_text("Lena")
    expect(agent_msg.locator(".text")).to_have_text("Hi, I'm Lena. Let me check that for you.")
    expect(shop.page.locator(f"{WIDGET} .typing")).to_be_hidden()
    inject({"type": "mode", "mode": "bot", "agent_name": None})
    expect(status).to_have_text("Virtual assistant")
    expect(human).to_be_visible()
    expect(notes).to_have_text(
        ["Waiting for a team member…", "Lena joined the chat", "Lena left the chat"]
    )
    shop.assert_clean()


HOSTILE_SHOP = """<!doctype html>
<html{lang}><head><meta charset="utf-8"><title>Another shop</title>
<link rel="stylesheet" href="/elsewhere/shop.css"></head>
<body><h1>Another shop</h1><div class="launcher panel msg">the shop's own .launcher</div>
<script src="{gateway}/static/widget.js" data-gateway="{gateway}"{locale}{token} async></script>
</body></html>"""

HOSTILE_CSS = """* { font-size: 40px !important; color: #f0f !important; }
button { display: block !important; position: static !important; width: 10px !important; }
.launcher { background: red !important; }"""


# A page fulfilled by the test has no network address, so Chromium's Local Network Access
# checks treat it as public and would block its socket to the loopback gateway; a real shop
# page and a real gateway are both public. The permission lifts that check.
LNA = {"permissions": ["local-network-access"]}


def serve_shop(
    page: Page, origin: str, gateway: str, *, lang: str = "", locale: str = "", token: str = ""
) -> None:
    """Fulfil a made-up shop page at `origin` that embeds the widget with one tag; the
    widget script it loads is the minified build."""
    html = HOSTILE_SHOP.format(
        gateway=gateway,
        lang=f' lang="{lang}"' if lang else "",
        locale=f' data-locale="{locale}"' if locale else "",
        token=f' data-customer-token="{token}"' if token else "",
    )
    minified = minify_js((ROOT / "handoff" / "web" / "static" / "widget.js").read_text("utf-8"))
    page.route(
        f"{origin}/elsewhere/product.html",
        lambda route: route.fulfill(body=html, content_type="text/html"),
    )
    page.route(
        f"{origin}/elsewhere/shop.css",
        lambda route: route.fulfill(body=HOSTILE_CSS, content_type="text/css"),
    )
    page.route(
        f"{gateway}/static/widget.js",
        lambda route: route.fulfill(body=minified, content_type="text/javascript"),
    )


def test_any_page_any_locale_hostile_css_and_a_foreign_origin(open_page, stack) -> None:
    gw = stack.gateway_url
    # the tag's data-locale wins over the browser's language; the shop's CSS stays outside
    german = open_page(locale="fr-FR", **LNA)
    serve_shop(german.page, gw, gw, lang="en", locale="de-DE")
    german.page.goto(f"{gw}/elsewhere/product.html")
    widget = Widget(german.page)
    expect(widget.launcher).to_have_attribute("aria-label", "Chatten Sie mit uns")
    launcher_css = widget.launcher.evaluate(
        "b => { const s = getComputedStyle(b); return [s.position, s.backgroundColor, s.width]; }"
    )
    assert launcher_css == ["fixed", "rgb(31, 79, 209)", "60px"]
    shop_own = german.page.locator("div.launcher").evaluate("d => getComputedStyle(d).position")
    assert shop_own == "static"  # and the widget's .launcher rule stays inside its shadow root
    widget.open()
    expect(german.page.locator(f"{WIDGET} .status")).to_have_text("Virtueller Assistent")
    expect(german.page.locator(f"{WIDGET} .offline")).to_be_hidden()
    german.page.keyboard.press("Escape")  # keyboard: Escape closes, focus back on the button
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher).to_be_focused()
    german.page.keyboard.press("Enter")
    expect(widget.input).to_be_focused()
    german.assert_clean()

    # no locale on the tag or the page: the browser's language
    japanese = open_page(locale="ja-JP", **LNA)
    serve_shop(japanese.page, gw, gw)
    japanese.page.goto(f"{gw}/elsewhere/product.html")
    expect(Widget(japanese.page).launcher).to_have_attribute("aria-label", "チャットでお問い合わせ")

    # a page whose origin is not in ALLOWED_ORIGINS (the same demo shop, reached under
    # another host name) gets no chat socket: the gateway refuses the handshake
    foreign = open_page(locale="en-US")
    frames: list[str] = []
    foreign.page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
    foreign.page.goto(gw.replace("127.0.0.1", "localhost") + "/")
    Widget(foreign.page).open()
    expect(foreign.page.locator(f"{WIDGET} .offline")).to_be_visible()
    foreign.page.wait_for_timeout(500)
    assert frames == []
    refused = [m for m in foreign.console_errors if "/ws/shopper" in m]
    assert refused and all("403" in m for m in refused), refused


def customer_token(email: str, secret: str, ttl_s: int = 3600) -> str:
    """What a shop's server puts in data-customer-token (the README's recipe)."""
    payload = f"{email}|{int(time.time()) + ttl_s}"
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}|{signature}"


def test_logged_in_shopper_with_a_signed_token_skips_verification(open_page, stack, store) -> None:
    # a shopper whose latest order is on its way
    order = next(
        o
        for o in store.all_orders()
        if store.scenarios[o.order_id] == "in_transit"
        and o.status == "shipped"
        and max(store.orders_for_email(o.email), key=lambda x: x.placed_at) == o
    )
    gw = stack.gateway_url
    shop = open_page(locale="en-US", **LNA)
    serve_shop(
        shop.page, gw, gw, lang="en", token=customer_token(order.email, CUSTOMER_TOKEN_SECRET)
    )
    shop.page.goto(f"{gw}/elsewhere/product.html")
    widget = Widget(shop.page)
    widget.open()
    reply = widget.ask("where is my parcel?", order.shipment.tracking_number)
    assert f"found your latest order, {order.order_id}" in reply
    assert order.shipment.events[-1].place in reply
    assert widget.shopper.all_text_contents() == ["where is my parcel?"]  # nothing else asked

    # a forged token (wrong secret) proves nothing: the bot asks as usual
    forged = open_page(locale="en-US", **LNA)
    serve_shop(forged.page, gw, gw, lang="en", token=customer_token(order.email, "guess"))
    forged.page.goto(f"{gw}/elsewhere/product.html")
    other = Widget(forged.page)
    other.open()
    asked = other.ask("where is my parcel?", "order number")
    assert order.shipment.tracking_number not in asked and order.order_id not in asked
