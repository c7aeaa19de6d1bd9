"""Print the README's NLU table (held-out vs blind) from an eval_nlu.py report.

python scripts/nlu_table.py results/nlu_eval.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

LANGS = ("en", "es", "fr", "de", "it", "pt", "ar", "ja", "vi", "th")


def table(report: dict) -> str:
    held, blind = report["languages"], report.get("blind", {})

    def row(name: str, cells: list[str]) -> str:
        return f"| {name} | " + " | ".join(cells) + " |"

    lines = [
        row("lang", list(LANGS)),
        "|---|" + "---|" * len(LANGS),
        row("held-out messages (same authors)", [str(held[lg]["examples"]) for lg in LANGS]),
        row("held-out accuracy", [f"{held[lg]['accuracy']:.3f}" for lg in LANGS]),
        row("blind messages scored (independent authors)",
            [str(blind[lg]["examples"]) for lg in LANGS]),
        row("**blind accuracy**", [f"**{blind[lg]['accuracy']:.3f}**" for lg in LANGS]),
        row("blind macro-F1", [f"{blind[lg]['macro_f1']:.3f}" for lg in LANGS]),
        row("off-topic answered with a core intent (blind)",
            [f"{blind[lg]['off_topic_core_rate']:.0%}" for lg in LANGS]),
        row("ms per message", [f"{blind[lg]['ms_per_message']:.1f}" for lg in LANGS]),
    ]  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
