"""The reports page's "Complaint keywords" in real Chromium: on the generated history a lead
sees the planted words (the lamp's "cassé" in French, the dress's "runs small"), in their
language (a `lang` attribute), filters to the lamp in France and drills into the count. One
gateway on its own Redis database and SQLite file: no Rasa needed (the page does not talk to
the bot). No console errors beyond the sections this branch does not serve, no CSP violation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from playwright.sync_api import Page, expect

from handoff.dev.launcher import ROOT, free_port, wait_http
from tests.browser.reports_gateway import load_history
from tests.browser.test_widget import SCREENSHOTS

pytestmark = [pytest.mark.browser]
ALLOW = r"401|404"  # /api/auth/me before logging in; report sections built in other branches


@pytest.fixture
def gateway_url(redis_url: str, tmp_path: Path) -> Iterator[str]:
    db_url = f"sqlite:///{tmp_path / 'reports.sqlite3'}"
    assert load_history(db_url) > 1000
    redis_db = redis_url.rsplit("/", 1)[0] + "/12"
    redis.Redis.from_url(redis_db).flushdb()
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "GATEWAY_PORT": str(port),
        "EMAIL_INBOUND_PORT": str(free_port()),
        "REDIS_URL": redis_db,
        "DATABASE_URL": db_url,
        "DEMO_ACCOUNTS": "1",
        "NOTICES_EVERY_S": "0",
        "GATEWAY_INSTANCE": "gw-keywords",
        "RASA_URL": "http://127.0.0.1:9",
        "ACTION_SERVER_URL": "http://127.0.0.1:9",
    }
    log_path = tmp_path / "gateway.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "handoff.dev.gateway"], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/console/reports", 90, proc)  # /healthz is 503 without Rasa
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def loaded_after(page: Page, n: int) -> int:
    page.wait_for_function(
        "(n) => Number(document.body.dataset.loaded || 0) > n && !document.body.dataset.loading",
        arg=n,
    )
    return int(page.evaluate("Number(document.body.dataset.loaded)"))


def test_keywords_section_shows_the_planted_words(open_page: Any, gateway_url: str) -> None:
    watched = open_page(gateway_url + "/console/reports", width=1280, height=900)
    page = watched.page
    page.fill("#login-name", "nora")
    page.fill("#login-password", "demo-nora-2026")
    page.click("#login-form button[type=submit]")
    n = loaded_after(page, 0)
    rows = page.locator("#keywords-table tbody tr")
    expect(rows.first).to_be_visible()
    first_column = rows.locator("th .keyword").all_inner_texts()
    assert "runs small" in first_column and "cassé" in first_column

    for select, value in (
        ("#f-sku", "HM-403"),
        ("#f-country", "FR"),
        ("#f-issue_type", "damaged_item"),
    ):
        page.select_option(select, value)
    page.click("#filters button[type=submit]")
    loaded_after(page, n)
    top = rows.first
    assert top.locator(".keyword").inner_text() in ("cassé", "lampe")
    assert top.locator(".keyword").get_attribute("lang") == "fr"
    words = rows.locator("th .keyword").all_inner_texts()[:5]
    assert "cassé" in words
    cassé = rows.filter(has=page.locator(".keyword", has_text="cassé")).first
    count = cassé.locator("button.num").inner_text()
    assert int(count) >= 10
    # translation is not configured on this gateway: the gloss cell says so, quietly
    assert cassé.locator("td").first.inner_text() == "—"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#keywords-table").screenshot(path=str(SCREENSHOTS / "reports-keywords.png"))

    drill = json.loads(cassé.locator("button.num").get_attribute("data-filters") or "{}")
    since = drill.pop("from")  # no date range set: the last 8 weeks
    assert drill == {"sku": "HM-403", "country": "FR", "issue_type": "damaged_item"}
    assert page.locator("#keywords-table").get_by_text(f"Last 8 weeks (since {since})").count() == 1
    cassé.locator("button.num").press("Enter")
    expect(page.locator("#drill")).to_be_visible()
    expect(page.locator("#h-drill")).to_contain_text(f"“cassé” is in {count} of them")
    watched.assert_clean(allow_console=ALLOW)
