"""Outbound email: composing a threaded reply (text + HTML) and sending it by SMTP.

`SMTP_URL` says where: smtp://user:pass@host:587?starttls=1, smtps://host:465 for implicit
TLS; the launcher's embedded mail catcher by default. smtplib runs in a worker thread (the
venv has no async SMTP client), with a timeout, so a slow relay never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import html
import secrets
import smtplib
import ssl
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlparse

RTL = {"ar", "he", "fa", "ur"}


class SmtpConfigError(ValueError):
    """SMTP_URL is not something we can send through."""


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    user: str = ""
    password: str = ""
    starttls: bool = False
    implicit_tls: bool = False
    timeout_s: float = 15.0

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
            raise SmtpConfigError("SMTP_URL must look like smtp://user:pass@host:587?starttls=1")
        query = parse_qs(parsed.query)
        implicit = parsed.scheme == "smtps"
        return cls(
            host=parsed.hostname,
            port=parsed.port or (465 if implicit else 25),
            user=unquote(parsed.username or ""),
            password=unquote(parsed.password or ""),
            starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
            implicit_tls=implicit,
            timeout_s=float(query.get("timeout", ["15"])[0]),
        )


def reply_subject(subject: str, first: bool = False) -> str:
    """'Re: <their subject>'; our own first mail in a thread keeps its subject as is."""
    subject = " ".join(subject.split())[:250]
    if first:
        return subject
    if subject.lower().startswith(("re:", "aw:", "antw:", "rif:", "r:", "res:", "回复:")):
        return subject
    return f"Re: {subject}" if subject else "Re: your message"


def html_body(paragraphs: list[str], lang: str) -> str:
    """The HTML alternative: our own text, escaped, one <p> per reply; RTL for Arabic."""
    direction = ' dir="rtl"' if lang in RTL else ""
    body = "\n".join(
        "<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>" for p in paragraphs if p
    )
    return (
        f'<!doctype html>\n<html lang="{html.escape(lang)}"{direction}>'
        '<head><meta charset="utf-8"></head>\n'
        f'<body{direction} style="font-family:sans-serif;line-height:1.5">\n{body}\n'
        "</body></html>\n"
    )


def new_message_id(domain: str) -> str:
    """A Message-ID on our domain (with brackets), so replies to it thread and loops show."""
    # short enough that the header never folds
    return f"<{int(time.time() * 1000):x}.{secrets.token_hex(8)}@{domain}>"


def compose(
    *,
    sender: str,
    to: str,
    subject: str,
    paragraphs: list[str],
    lang: str,
    domain: str,
    in_reply_to: str = "",
    references: tuple[str, ...] = (),
    automatic: bool = False,
) -> EmailMessage:
    """One reply email in the shopper's language; `in_reply_to`/`references` without <>."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = reply_subject(subject, first=not in_reply_to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = new_message_id(domain)
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    refs = [r for r in references if r][-10:]
    if in_reply_to and in_reply_to not in refs:
        refs.append(in_reply_to)
    if refs:
        msg["References"] = " ".join(f"<{r}>" for r in refs)
    if automatic:  # RFC 3834: the bot answered; other robots must not answer it back
        msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content("\n\n".join(p for p in paragraphs if p) + "\n")
    msg.add_alternative(html_body(paragraphs, lang), subtype="html")
    msg["Content-Language"] = lang  # after set_content, which drops Content-* headers
    return msg


def _send_sync(target: SmtpTarget, msg: EmailMessage) -> None:
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if target.implicit_tls:
        client = smtplib.SMTP_SSL(
            target.host, target.port, timeout=target.timeout_s, context=context
        )
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=target.timeout_s)
    with client:
        client.ehlo()
        if target.starttls:
            client.starttls(context=context)
            client.ehlo()
        if target.user:
            client.login(target.user, target.password)
        client.send_message(msg)


class Mailer:
    """Sends composed mail through one SMTP target; `None` target = email is off."""

    def __init__(self, smtp_url: str) -> None:
        self.target = SmtpTarget.from_url(smtp_url) if smtp_url else None

    @property
    def enabled(self) -> bool:
        return self.target is not None

    async def send(self, msg: EmailMessage) -> bool:
        if self.target is None:
            return False
        target = self.target
        await asyncio.get_running_loop().run_in_executor(None, _send_sync, target, msg)
        return True
