#!/usr/bin/env bash
# Everything `make test` runs, in order: data checks, Rasa gates, the browser for the widget
# tests, pytest (unit, NLU evaluation, real stack, real Chromium). Fails on the first failing gate.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD"
export RASA_TELEMETRY_ENABLED=false
PY=.venv/bin/python
step() { echo; echo "==> $*"; }

step "quality gates: ruff (lint + format) and mypy, zero findings"
bash scripts/check.sh

step "NLU data rules (counts, duplicates, held-out and blind sets kept out of training)"
$PY scripts/check_nlu.py

step "response copy: every language has every key with the same placeholders"
$PY scripts/check_copy.py

step "rasa data validate"
.venv/bin/rasa data validate --data data/nlu data/rules --domain domain.yml --fail-on-warnings 2>&1 \
  | grep -v "DeprecationWarning\|MovedIn20Warning\|declarative_base\|pkg_resources\|declare_namespace" || true
.venv/bin/rasa data validate --data data/nlu data/rules --domain domain.yml --fail-on-warnings >/dev/null 2>&1

step "browser for the widget tests: Debian's chromium"
bash scripts/setup_browser.sh

step "pytest (unit, NLU evaluation, test stories, end-to-end on the real stack, real Chromium)"
set +e
$PY -m pytest -q
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi
exit "$rc"
