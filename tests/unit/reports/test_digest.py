"""The weekly digest: HTML (escaped, no script) and CSV (formula-safe) through the gateway on
both backends, and the weekly mail through a real SMTP relay, sent once across gateways."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from handoff import keys
from handoff.channels.email.outbound import Mailer
from handoff.dev.launcher import free_port
from handoff.reports import digest, lifecycle
from handoff.reports.db import ReportsDB, local_day
from tests.support.smtp_relay import SmtpRelay
from tests.support.staff import bearer
from tests.unit.reports.test_alert_lifecycle import HEADER, firing, spike_csv
from tests.unit.reports.test_api import post_csv


def tricky_csv(at: float) -> bytes:
    rows = [
        f"{at:.0f},XB-9,a@example.com,FR,<script>alert(1)</script>,"
        "wrong_item,return_refund,12.5,EUR,email",
        f'{at:.0f},XB-8,b@example.com,DE,"=HYPERLINK(""http://x"")",wrong_item,reship,30,EUR,email',
    ]
    return (HEADER + "\n" + "\n".join(rows) + "\n").encode()


async def test_digest_html_and_csv(client: TestClient, db: ReportsDB) -> None:
    lead = await bearer(client, "nora", "demo-nora-2026")
    at = time.time() - 1800
    assert (await post_csv(client, lead, tricky_csv(at))).status == 200
    assert (await post_csv(client, lead, spike_csv())).status == 200
    [alert] = await firing(client, lead)
    day = local_day(at, db.zone).isoformat()

    page = await client.get(f"/api/reports/digest?week={day}", headers=lead)
    assert page.status == 200 and page.content_type == "text/html"
    text = await page.text()
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert alert["text"].replace("×", "×") in text  # the open alert's sentence
    assert "Wrong item" in text and "142.50 refunded over 7 cases" in text
    assert "script-src" in page.headers["Content-Security-Policy"]

    sheet = await client.get(f"/api/reports/digest?week={day}&format=csv", headers=lead)
    assert sheet.status == 200 and sheet.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO((await sheet.read()).decode("utf-8-sig"))))
    cells = [c for row in rows for c in row]
    assert '\'=HYPERLINK("http://x")' in cells and '=HYPERLINK("http://x")' not in cells
    losses = rows[rows.index(["losses"]) + 2 :]
    assert ["Damaged", "5", "100"] in losses and ["Wrong item", "2", "42.5"] in losses
    assert any(alert["alert_id"] in row for row in rows)

    # resolved: the digest of the week no longer lists it
    url = f"/api/reports/alerts/{alert['alert_id']}/resolve"
    assert (await client.post(url, json={"note": "done"}, headers=lead)).status == 200
    again = await (await client.get(f"/api/reports/digest?week={day}", headers=lead)).text()
    assert alert["alert_id"] not in again

    empty = await client.get("/api/reports/digest?week=2001-01-03&format=csv", headers=lead)
    assert empty.status == 200
    assert "weekly digest 2001-01-01 to 2001-01-07" in (await empty.read()).decode("utf-8-sig")
    for bad in ("week=2026-13-40", "week=yesterday", "format=pdf"):
        resp = await client.get(f"/api/reports/digest?{bad}", headers=lead)
        assert resp.status == 400, bad
    agent = await bearer(client, "lena", "demo-lena-2026")
    assert (await client.get("/api/reports/digest", headers=agent)).status == 403


@pytest.fixture
def relay() -> Iterator[SmtpRelay]:
    server = SmtpRelay().start()
    yield server
    server.stop()


async def test_weekly_mail_goes_once_and_retries_after_a_failure(
    redis_url: str, relay: SmtpRelay, tmp_path: Path
) -> None:
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    db = ReportsDB(f"sqlite:///{tmp_path / 'd.sqlite3'}", zone=ZoneInfo("Europe/Paris"))
    last_week = time.time() - 7 * 86400
    row = {"case_id": "C-D1", "created_at": last_week, "country": "FR", "sku": "ZZ-LAMP",
           "issue_type": "damaged_item", "resolution": "return_refund",
           "refund_amount": 19.9}  # fmt: skip
    db.upsert_cases([db.case_row(row, "import")])
    to = ("lead@shop.example", "boss@shop.example")

    def mailer(url: str) -> digest.DigestMailer:
        return digest.DigestMailer(redis, db, Mailer(url), to, "Care <care@shop.example>",
                                   "shop.example")  # fmt: skip

    broken = mailer(f"smtp://127.0.0.1:{free_port()}?timeout=2")
    assert await broken.maybe_send() is False  # relay down: not sent, claim dropped
    week = broken.last_week()
    assert week == lifecycle.alert_week(db, last_week)
    assert await redis.get(keys.digest_sent(week)) is None

    gateways = [mailer(relay.url), mailer(relay.url)]
    sent = await asyncio.gather(*[g.maybe_send() for g in gateways])
    assert sorted(sent) == [False, True]
    assert await gateways[0].maybe_send() is False  # the next round: already sent
    msg = relay.wait_for(lambda m: "digest" in str(m["Subject"]))
    await asyncio.sleep(0.5)
    assert len(relay.messages) == 1
    assert str(msg["Subject"]) == f"After-sales digest, week of {week}"
    assert "lead@shop.example" in str(msg["To"]) and "boss@shop.example" in str(msg["To"])
    html_part = msg.get_body(("html",))
    assert html_part is not None and "19.90 refunded over 1 cases" in html_part.get_content()
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == f"digest-{week}.csv"
    assert "ZZ-LAMP" in attachment.get_content()
    await redis.close()
    db.engine.dispose()
