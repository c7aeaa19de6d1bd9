"""What a shop's visitors download for the chat widget: widget.js raw, minified (rjsmin)
and minified + gzip -9, plus widget.css the same way. Writes bench/results/widget_size.json.

    .venv/bin/python scripts/widget_size.py          # prints the figures, exit 1 over budget
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

import rjsmin

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "handoff" / "web" / "static"
OUT = ROOT / "bench" / "results" / "widget_size.json"
BUDGET_BYTES = 30 * 1024  # widget.js, minified + gzipped


def minify_js(source: str) -> str:
    return str(rjsmin.jsmin(source))


def minify_css(source: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return re.sub(r"\s*\n\s*", "", text).strip()


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def measure() -> dict[str, object]:
    js = (STATIC / "widget.js").read_text(encoding="utf-8")
    css = (STATIC / "widget.css").read_text(encoding="utf-8")
    js_min = minify_js(js).encode()
    css_min = minify_css(css).encode()
    return {
        "file": "handoff/web/static/widget.js",
        "raw": len(js.encode()),
        "minified": len(js_min),
        "minified_gzip": gz(js_min),
        "budget_minified_gzip": BUDGET_BYTES,
        "minifier": f"rjsmin {rjsmin.__version__}",
        "css": {
            "file": "handoff/web/static/widget.css",
            "raw": len(css.encode()),
            "minified": len(css_min),
            "minified_gzip": gz(css_min),
        },
    }


def main() -> int:
    sizes = measure()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(sizes, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(sizes, indent=2))
    over = int(sizes["minified_gzip"]) > BUDGET_BYTES  # type: ignore[call-overload]
    if over:
        print(
            f"widget.js is over its budget of {BUDGET_BYTES} bytes minified+gzipped",
            file=sys.stderr,
        )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
