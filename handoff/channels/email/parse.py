"""An inbound email as what the channel needs: who, which thread, the new text, the files.

Parsing never raises on bad input: broken MIME is read as far as the stdlib parser gets,
unknown charsets decode as UTF-8 with replacement characters, HTML-only mail is converted to
text (scripts and styles dropped, never rendered). Mail that a machine sent (auto-replies,
bounces, lists, our own outbound coming back) is marked `automatic` and never answered.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from handoff.channels.email.htmltext import html_to_text
from handoff.channels.email.quotes import new_text
from shop.store import normalize_order_id

ALLOWED_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "application/pdf"}
)
MAX_ATTACHMENTS = 10
_ORDER = re.compile(r"(?<![A-Za-z0-9])(?:XB[-\s]?|#)(\d{6})(?!\d)", re.IGNORECASE)
_MSGID = re.compile(r"<([^<>\s]{1,250})>")
_AUTH_FAIL = re.compile(r"\bdmarc=fail\b|\bspf=fail\b|\bdkim=fail\b", re.IGNORECASE)
_AUTH_PASS = re.compile(r"\bdkim=pass\b", re.IGNORECASE)
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Refused:
    filename: str
    content_type: str
    size: int
    reason: str  # "type" | "size" | "count"


@dataclass(frozen=True)
class InboundMail:
    sender: str  # lower-case address from From:
    sender_name: str
    subject: str
    message_id: str  # without angle brackets ("" when missing)
    in_reply_to: str
    references: tuple[str, ...]
    original: str  # the whole text part as sent (history and signature included)
    text: str  # what the shopper wrote now
    html_only: bool
    attachments: tuple[Attachment, ...]
    refused: tuple[Refused, ...]
    automatic: str | None  # why this must not be answered, None for a person's mail
    order_id: str | None
    to: tuple[str, ...] = ()
    # our receiving MTA said the From: domain failed SPF/DKIM/DMARC: the address is forged
    sender_forged: bool = False
    html: str = ""  # the text/html part as sent (shown to agents as text, never rendered)

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this mail answers, nearest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        return tuple(dict.fromkeys([*ids, *reversed(self.references)]))


def header(msg: Message, name: str) -> str:
    """A header as text; a header the parser can't make sense of is ""."""
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - malformed headers raise from the policy's parser
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def message_ids(value: str) -> tuple[str, ...]:
    return tuple(_MSGID.findall(value))


def decode_part(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(payload or "")
    charset = str(part.get_content_charset() or "utf-8")
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    return payload.decode(charset, errors="replace")


def _attachment(part: Message) -> bool:
    if part.is_multipart():
        return False
    disposition = part.get_content_disposition()
    return disposition == "attachment" or part.get_content_maintype() not in ("text",)


def _bodies(msg: Message) -> tuple[str, str]:
    plain, markup = "", ""
    for part in msg.walk():
        if part.is_multipart() or _attachment(part):
            continue
        if part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and not plain:
            plain = decode_part(part)
        elif kind == "text/html" and not markup:
            markup = decode_part(part)
    return plain, markup


def _files(msg: Message, max_bytes: int) -> tuple[tuple[Attachment, ...], tuple[Refused, ...]]:
    kept: list[Attachment] = []
    refused: list[Refused] = []
    for part in msg.walk():
        if not _attachment(part):
            continue
        kind = part.get_content_type()
        try:
            name = str(part.get_filename() or "attachment")
        except Exception:  # noqa: BLE001
            name = "attachment"
        name = name.replace("/", "_").replace("\\", "_")[:120]
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if kind not in ALLOWED_TYPES:
            refused.append(Refused(name, kind, len(data), "type"))
        elif len(data) > max_bytes:
            refused.append(Refused(name, kind, len(data), "size"))
        elif len(kept) >= MAX_ATTACHMENTS:
            refused.append(Refused(name, kind, len(data), "count"))
        else:
            kept.append(Attachment(name, kind, len(data), data))
    return tuple(kept), tuple(refused)


def automatic_reason(
    msg: Message, sender: str, message_id: str, own_domain: str, envelope_from: str | None
) -> str | None:
    """Why a machine sent this (RFC 3834 and the usual de-facto headers), or None."""
    auto = header(msg, "Auto-Submitted").lower()
    if auto and auto != "no":
        return "auto-submitted"
    if header(msg, "Precedence").lower() in ("bulk", "junk", "list", "auto_reply"):
        return "precedence"
    if any(header(msg, h) for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply")):
        return "autoreply"
    if header(msg, "List-Id") or header(msg, "List-Unsubscribe"):
        return "list"
    local = sender.partition("@")[0]
    if envelope_from == "" or local in _BOUNCE_SENDERS or not sender:
        return "bounce"
    if msg.get_content_type() == "multipart/report":
        return "bounce"
    own = own_domain.lower().lstrip("@")
    if own and (message_id.lower().endswith("@" + own) or sender.endswith("@" + own)):
        return "loop"
    return None


def sender_forged(msg: Message) -> bool:
    """Authentication-Results from the MTA in front of us (RFC 8601): DMARC failed, or SPF
    or DKIM failed without a passing DKIM signature."""
    results = " ".join(str(v) for v in (msg.get_all("Authentication-Results") or []))
    if re.search(r"\bdmarc=fail\b", results, re.IGNORECASE):
        return True
    return bool(_AUTH_FAIL.search(results)) and not _AUTH_PASS.search(results)


def find_order_id(*texts: str) -> str | None:
    for text in texts:
        match = _ORDER.search(text or "")
        if match:
            return normalize_order_id(match.group(0))
    return None


def parse(
    raw: bytes, own_domain: str, max_attachment_bytes: int, envelope_from: str | None = None
) -> InboundMail:
    msg: Message = BytesParser(policy=policy.default).parsebytes(raw)
    name, address = parseaddr(header(msg, "From"))
    sender = address.strip().lower() if "@" in address else ""
    ids = message_ids(header(msg, "Message-ID"))
    message_id = ids[0] if ids else ""
    reply_to = message_ids(header(msg, "In-Reply-To"))
    plain, markup = _bodies(msg)
    html_only = not plain.strip() and bool(markup.strip())
    original = html_to_text(markup) if html_only else plain
    text = new_text(original)
    attachments, refused = _files(msg, max_attachment_bytes)
    subject = header(msg, "Subject")[:300]
    to = tuple(a.lower() for _, a in getaddresses([header(msg, "To")]) if "@" in a)
    return InboundMail(
        sender=sender,
        sender_name=name.strip()[:120],
        subject=subject,
        message_id=message_id,
        in_reply_to=reply_to[0] if reply_to else "",
        references=message_ids(header(msg, "References"))[-20:],
        original=original,
        text=text,
        html_only=html_only,
        attachments=attachments,
        refused=refused,
        automatic=automatic_reason(msg, sender, message_id, own_domain, envelope_from),
        order_id=find_order_id(subject, text),
        to=to,
        sender_forged=sender_forged(msg),
        html=markup,
    )
