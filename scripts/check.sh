#!/usr/bin/env bash
# Quality gates (run by `make check` and first thing in `make test`): ruff lint, ruff format
# check, mypy. Any finding fails.
set -euo pipefail
cd "$(dirname "$0")/.."
CODE=(bot shop handoff actions tests scripts bench)
echo "==> ruff check"
.venv/bin/ruff check "${CODE[@]}"
echo "==> ruff format --check"
.venv/bin/ruff format --check "${CODE[@]}"
echo "==> mypy"
.venv/bin/mypy
