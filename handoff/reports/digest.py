"""The weekly digest: one shop-local week's issue table, losses and alerts, as HTML and CSV.

`build` gathers the week (Monday to Sunday, shop-local): case counts per issue type × SKU ×
country (the summary table), losses as case counts and refund totals per issue type, and
the week's alerts that are not resolved (stored ones, plus those firing now for the
current week). `to_html` escapes every value and carries no script (it is served under
the strict CSP and mailed); `to_csv` passes every cell through `csvio.safe_cell`.
`DigestMailer` sends last week's digest to `DIGEST_TO` once per week across gateways (a
Redis SET NX claim per week; a failed send drops the claim so the next round retries).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import logging
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import sqlalchemy as sa
from redis.asyncio import Redis

from handoff import keys
from handoff.channels.email.outbound import Mailer, new_message_id
from handoff.reports import lifecycle, queries
from handoff.reports.csvio import safe_cell
from handoff.reports.db import ReportsDB, cases
from handoff.reports.redlight import issue_label

LOG = logging.getLogger("handoff.reports.digest")
TABLE_COLUMNS = ("issue_type", "sku", "country", "cases", "refunds")
LOSS_COLUMNS = ("issue_type", "cases", "refund_total")
ALERT_COLUMNS = ("alert_id", "state", "owner", "text", "count", "rate_ratio", "p", "note")


def monday(day: str) -> str:
    """The Monday of the week a YYYY-MM-DD day falls in (ValueError if not a date)."""
    date = dt.date.fromisoformat(day)
    return (date - dt.timedelta(days=date.weekday())).isoformat()


def losses(db: ReportsDB, start: str, end: str) -> list[dict[str, Any]]:
    refund = sa.func.coalesce(sa.func.sum(cases.c.refund_amount), 0.0)
    query = (
        sa.select(cases.c.issue_type, sa.func.count().label("cases"), refund.label("refund"))
        .where(cases.c.day >= start, cases.c.day <= end)
        .group_by(cases.c.issue_type)
        .order_by(sa.desc("refund"), sa.desc("cases"))
    )
    with db.engine.connect() as conn:
        return [
            {"issue_type": r["issue_type"], "cases": int(r["cases"]),
             "refund_total": round(float(r["refund"]), 2)}
            for r in conn.execute(query).mappings()
        ]  # fmt: skip


def build(db: ReportsDB, week: str, firing: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The digest of the week starting `week` (a Monday); `firing`: alerts computed now."""
    end = (dt.date.fromisoformat(week) + dt.timedelta(days=6)).isoformat()
    table = queries.summary_table(db, {"from": week, "to": end})
    alerts = {a["alert_id"]: a for a in lifecycle.week_rows(db, week)}
    for alert in firing or []:
        alerts.setdefault(alert["alert_id"], alert)
    open_ones = [a for a in alerts.values() if a.get("state") != "resolved"]
    open_ones.sort(key=lambda a: (float(a.get("p") or 1.0), -int(a.get("count") or 0)))
    loss = losses(db, week, end)
    total = {"cases": sum(r["cases"] for r in loss),
             "refund_total": round(sum(r["refund_total"] for r in loss), 2)}  # fmt: skip
    return {"week": week, "until": end, "table": table, "losses": loss, "total": total,
            "alerts": open_ones}  # fmt: skip


def _cells(row: dict[str, Any], columns: tuple[str, ...]) -> list[Any]:
    return [
        issue_label(row[c]) if c == "issue_type" and row.get(c) else row.get(c) for c in columns
    ]


def to_csv(digest: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    sections = (("issues", TABLE_COLUMNS, digest["table"]), ("losses", LOSS_COLUMNS,
                digest["losses"]), ("open alerts", ALERT_COLUMNS, digest["alerts"]))  # fmt: skip
    writer.writerow([safe_cell(f"weekly digest {digest['week']} to {digest['until']}")])
    for title, columns, rows in sections:
        writer.writerow([])
        writer.writerow([title])
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell(v) for v in _cells(row, columns)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _table(columns: tuple[str, ...], rows: list[dict[str, Any]], empty: str) -> str:
    if not rows:
        return f"<p>{html.escape(empty)}</p>"
    head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>"
                         for v in _cells(r, columns)) + "</tr>"
        for r in rows
    )  # fmt: skip
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(digest: dict[str, Any]) -> str:
    week, until = html.escape(digest["week"]), html.escape(digest["until"])
    total = digest["total"]
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Weekly digest {week}</title>"
        "<style>body{font-family:sans-serif;line-height:1.4}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}</style></head>\n"
        f"<body><h1>After-sales digest, week of {week} to {until}</h1>\n"
        f"<h2>Open alerts ({len(digest['alerts'])})</h2>\n"
        + _table(ALERT_COLUMNS, digest["alerts"], "No open alerts this week.")
        + f"\n<h2>Losses: {total['refund_total']:.2f} refunded over {total['cases']} cases</h2>\n"
        + _table(LOSS_COLUMNS, digest["losses"], "No cases this week.")
        + "\n<h2>Issues by product and country</h2>\n"
        + _table(TABLE_COLUMNS, digest["table"], "No cases this week.")
        + "\n</body></html>\n"
    )


class DigestMailer:
    """Mails last week's digest to the leads once per week (the alert watcher calls it)."""

    def __init__(
        self, redis: Redis, db: ReportsDB, mailer: Mailer, to: tuple[str, ...], sender: str,
        domain: str,
    ) -> None:  # fmt: skip
        self.redis, self.db, self.mailer = redis, db, mailer
        self.to, self.sender, self.domain = to, sender, domain

    def last_week(self) -> str:
        this_week = dt.date.fromisoformat(lifecycle.alert_week(self.db))
        return (this_week - dt.timedelta(days=7)).isoformat()

    def message(self, digest: dict[str, Any]) -> EmailMessage:
        msg = EmailMessage(policy=policy.SMTP)
        msg["From"], msg["To"] = self.sender, ", ".join(self.to)
        msg["Subject"] = f"After-sales digest, week of {digest['week']}"
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = new_message_id(self.domain)
        msg["Auto-Submitted"] = "auto-generated"
        lines = [f"Week of {digest['week']} to {digest['until']}.",
                 f"Open alerts: {len(digest['alerts'])}."]  # fmt: skip
        lines += [f"- {a.get('text')} ({a.get('state')})" for a in digest["alerts"]]
        total = digest["total"]
        lines.append(f"Refunded: {total['refund_total']:.2f} over {total['cases']} cases.")
        msg.set_content("\n".join(lines) + "\n")
        msg.add_alternative(to_html(digest), subtype="html")
        msg.add_attachment(
            to_csv(digest), maintype="text", subtype="csv",
            filename=f"digest-{digest['week']}.csv",
        )  # fmt: skip
        return msg

    async def maybe_send(self) -> bool:
        """Sends last week's digest unless some gateway already did; True if this one did."""
        if not self.to or not self.mailer.enabled:
            return False
        week = self.last_week()
        claim = keys.digest_sent(week)
        if not await self.redis.set(claim, "sending", nx=True, ex=60 * 86400):
            return False
        try:
            digest = await self.db.run(build, self.db, week)
            await self.mailer.send(self.message(digest))
        except Exception as exc:  # noqa: BLE001 - relay down: retry next round, never crash
            await self.redis.delete(claim)
            LOG.warning("digest_send_failed", extra={"week": week, "error": repr(exc)})
            return False
        await self.redis.set(claim, "sent", ex=60 * 86400)
        LOG.info("digest_sent", extra={"week": week, "to": len(self.to)})
        return True
