"""Check NLU data for one or all languages: intents, counts, overlaps with held-out and
blind sets (the rules are in bot/nlucheck.py).

Usage: python scripts/check_nlu.py [lang ...]   (default: every folder under data/nlu)
Exit code 1 when a rule is broken; the report says which.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.nlucheck import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
