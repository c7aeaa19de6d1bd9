"""Past cases in and out as files: CSV / JSON-lines import checks and the CSV export's cells.

An import is all-or-nothing: `parse_import` returns either every row as a `cases` record or
the list of problems (line number and reason; unknown or missing columns). Encodings met in
spreadsheet exports are accepted: UTF-8, UTF-8 with BOM, and Latin-1 as the fallback. Unknown
SKUs and order ids are kept as given. Export cells that a spreadsheet would run as a formula
(leading = + - @ tab CR) get a leading apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

CONTRACT = (
    "created_at", "order_id", "email", "country", "sku", "issue_type", "resolution",
    "refund_amount", "currency", "channel",
)  # fmt: skip
REQUIRED = ("created_at", "issue_type", "resolution")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_PROBLEMS = 200  # a broken 100,000-line file answers with the first ones


@dataclass
class ImportResult:
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)


def decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # every byte is a Latin-1 character: never fails


def parse_time(value: str, zone: ZoneInfo) -> float:
    value = value.strip()
    if re.fullmatch(r"\d{9,11}(\.\d+)?", value):
        return float(value)
    when = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)  # a spreadsheet's local time is the shop's
    return when.timestamp()


def _check(row: Mapping[str, str], issue_types: Iterable[str], zone: ZoneInfo) -> dict[str, Any]:
    """One row as a case record, or ValueError with the reason."""
    for name in REQUIRED:
        if not (row.get(name) or "").strip():
            raise ValueError(f"{name} is empty")
    record: dict[str, Any] = {k: (row.get(k) or "").strip() or None for k in CONTRACT}
    try:
        record["created_at"] = parse_time(row["created_at"], zone)
    except ValueError:
        raise ValueError(f"created_at {row['created_at']!r} is not a date or time") from None
    if record["issue_type"] not in set(issue_types):
        raise ValueError(f"issue_type {record['issue_type']!r} is not a closing code")
    if record["refund_amount"] is not None:
        text = str(record["refund_amount"]).replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            amount = float(text)
        except ValueError:
            raise ValueError(f"refund_amount {record['refund_amount']!r} is not a number") from None
        if amount < 0 or amount != amount or amount > 1e9:
            raise ValueError("refund_amount must be a positive amount")
        record["refund_amount"] = amount
    if record["country"] is not None:
        if not re.fullmatch(r"[A-Za-z]{2}", record["country"]):
            raise ValueError(f"country {record['country']!r} is not a two-letter code")
        record["country"] = record["country"].upper()
    if record["currency"] is not None:
        if not re.fullmatch(r"[A-Za-z]{3}", record["currency"]):
            raise ValueError(f"currency {record['currency']!r} is not a three-letter code")
        record["currency"] = record["currency"].upper()
    for name in CONTRACT:
        if isinstance(record[name], str) and len(record[name]) > 500:
            raise ValueError(f"{name} is longer than 500 characters")
    record["channel"] = record["channel"] or "import"
    record["resolved_by"] = "import"
    return record


def _header_problems(columns: list[str], result: ImportResult) -> None:
    result.unknown_columns = [c for c in columns if c not in CONTRACT]
    for name in result.unknown_columns:
        result.problems.append({"line": 1, "reason": f"unknown column {name!r}"})
    for name in REQUIRED:
        if name not in columns:
            result.problems.append({"line": 1, "reason": f"missing column {name!r}"})
    if len(set(columns)) != len(columns):
        result.problems.append({"line": 1, "reason": "a column appears twice"})


def _rows(text: str, ndjson: bool, result: ImportResult) -> Iterable[tuple[int, dict[str, str]]]:
    if ndjson:
        seen: list[str] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError
            except ValueError:
                result.problems.append({"line": number, "reason": "not a JSON object"})
                continue
            extra = [k for k in obj if k not in CONTRACT and k not in seen]
            seen.extend(extra)
            result.unknown_columns.extend(extra)
            for name in extra:
                result.problems.append({"line": number, "reason": f"unknown column {name!r}"})
            yield number, {k: "" if v is None else str(v) for k, v in obj.items()}
        return
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        result.problems.append({"line": 1, "reason": f"malformed CSV: {exc}"})
        return
    columns = [c.strip().lower() for c in header]
    _header_problems(columns, result)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            result.problems.append({"line": reader.line_num, "reason": f"malformed CSV: {exc}"})
            return
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            reason = f"{len(cells)} cells where the header has {len(columns)}"
            result.problems.append({"line": reader.line_num, "reason": reason})
            continue
        yield reader.line_num, dict(zip(columns, cells, strict=True))


def parse_import(
    raw: bytes, ndjson: bool, issue_types: Iterable[str], zone: ZoneInfo
) -> ImportResult:
    result = ImportResult()
    text = decode(raw)
    if not text.strip():
        result.problems.append({"line": 1, "reason": "the file is empty"})
        return result
    issue_types = tuple(issue_types)
    occurrences: dict[str, int] = {}
    for number, row in _rows(text, ndjson, result):
        try:
            record = _check(row, issue_types, zone)
        except ValueError as exc:
            result.problems.append({"line": number, "reason": str(exc)})
            if len(result.problems) >= MAX_PROBLEMS:
                break
            continue
        # the same file imported twice gives the same ids: a re-import changes nothing
        digest = hashlib.sha1(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]
        occurrences[digest] = occurrences.get(digest, 0) + 1
        record["case_id"] = f"I-{digest}-{occurrences[digest]}"
        result.records.append(record)
    if not result.records and not result.problems:
        result.problems.append({"line": 1, "reason": "no rows after the header"})
    return result


def safe_cell(value: Any) -> str:
    """A cell as text that a spreadsheet shows and never evaluates."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if value != int(value) else str(int(value))
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def iso_time(at: float | None) -> str:
    if at is None:
        return ""
    return dt.datetime.fromtimestamp(at, dt.timezone.utc).isoformat(timespec="seconds")
