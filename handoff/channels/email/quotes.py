"""What a shopper newly wrote in an email: quoted history and signatures cut off.

Mail clients introduce the quoted previous message with a header line in the writer's
language ("On ... wrote:", "Am ... schrieb ...:", Outlook's "-----Original Message-----"
or a From:/Sent: block); everything from there on, lines starting with ">" and the
signature after "-- " are history or boilerplate, not what the bot or the agent should read.
"""

from __future__ import annotations

import re

# a reply header line ("attribution"), per language; they may wrap onto a second line
_ATTRIBUTION = re.compile(
    r"^(?:"
    r"On\s.{3,300}\swrote:"  # en (Gmail, Apple Mail, Thunderbird)
    r"|Am\s.{3,300}\sschrieb.{0,200}:"  # de
    r"|Le\s.{3,300}\sa\s[ée]crit\s?:"  # fr
    r"|El\s.{3,300}\sescribi[óo]:"  # es
    r"|Il\s.{3,300}\sha\sscritto:"  # it ("Il giorno ... ha scritto:")
    r"|Em\s.{3,300}\sescreveu:"  # pt
    r"|.{3,300}(?:が|は)書きました\s*[:：]?"  # ja
    r"|.{3,300}\sكتب(?:ت)?\s?[:：]"  # ar ("... كتب:")
    r"|V[àa]o\s.{3,300}\sđã\sviết:"  # vi
    r"|.{0,300}เขียนว่า\s?:?"  # th ("เมื่อ ... เขียนว่า:")
    r")\s*$",
    re.IGNORECASE,
)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*[-_]{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine"
    r"|Mensaje original|Messaggio originale|Mensagem original|Forwarded message"
    r"|元のメッセージ|الرسالة الأصلية|Thư gốc|ข้อความต้นฉบับ)\s*[-_]{2,}\s*$",
    re.IGNORECASE,
)
# Outlook's header block: "From: ..." directly followed by "Sent:"/"Date:" (per language)
_FROM = re.compile(r"^\s*\*?(?:From|Von|De|Da|Van|差出人|送信者|من|Từ|จาก)\s*\*?\s*[:：]", re.I)
_SENT = re.compile(
    r"^\s*\*?(?:Sent|Date|Gesendet|Datum|Envoy[ée]|Date|Enviado|Fecha|Inviato|Data|"
    r"送信日時|日付|تاريخ الإرسال|التاريخ|Đã gửi|Ngày|ส่ง|วันที่)\s*\*?\s*[:：]",
    re.I,
)
_SENT_FROM_DEVICE = re.compile(
    r"^(?:Sent from my \w+|Von meinem \w+ gesendet|Envoyé de mon \w+|Enviado desde mi \w+"
    r"|Inviato da(?:l mio)? \w+|Enviado do meu \w+)\b.{0,40}$",
    re.IGNORECASE,
)


def _is_attribution(line: str, following: str) -> bool:
    stripped = line.strip()
    if not stripped:
        return False
    if _ATTRIBUTION.match(stripped):
        return True
    # "On Mon, 1 May 2026 at 10:00, Shop <help@shop>" / "wrote:" wrapped by the client
    joined = f"{stripped} {following.strip()}"
    return len(stripped) < 300 and bool(following.strip()) and bool(_ATTRIBUTION.match(joined))


def new_text(text: str) -> str:
    """The part of a plain-text body the shopper wrote now (may be "" for a bare forward)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if line.rstrip() in ("--", "-- ") or _ORIGINAL_MESSAGE.match(line):
            break
        if _is_attribution(line, following):
            break
        if _FROM.match(line) and _SENT.match(following or ""):
            break
        if _SENT_FROM_DEVICE.match(line.strip()):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    while kept and not kept[-1].strip():
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)
