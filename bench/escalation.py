"""Escalation decision time per message (scoring only, in process).

    .venv/bin/python bench/escalation.py

Scores every held-out shopper message of every native language 5 times and reports
p50/p95/p99; also how many of those calm-or-not messages escalate, per reason.
Writes bench/results/escalation.json.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.language_detection import shopper_messages  # noqa: E402
from handoff.escalation.score import Context, score  # noqa: E402
from shop.routes import percentile  # noqa: E402


def main() -> int:
    items = shopper_messages()
    for lang, text in items:  # compile every language's rules first
        score(text, Context(language=lang))
    timings: list[float] = []
    reasons: Counter[str] = Counter()
    escalated = 0
    for _ in range(5):
        for lang, text in items:
            started = time.perf_counter()
            result = score(text, Context(language=lang))
            timings.append((time.perf_counter() - started) * 1000)
    for lang, text in items:
        result = score(text, Context(language=lang))
        escalated += result.escalate
        reasons.update(r.code for r in result.reasons)
    out = {
        "messages": len(items),
        "decisions": len(timings),
        "p50_ms": round(percentile(timings, 50), 3),
        "p95_ms": round(percentile(timings, 95), 3),
        "p99_ms": round(percentile(timings, 99), 3),
        "escalated_share": round(escalated / len(items), 3),
        "reasons": dict(reasons),
    }
    print(json.dumps(out, indent=2))
    (ROOT / "bench" / "results" / "escalation.json").write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
