#!/usr/bin/env bash
# Create .venv with Python 3.10 and the pinned packages (Rasa 3.6 needs Python < 3.11).
# Idempotent: does nothing when requirements.lock has not changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  local candidates=()
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=("$(pyenv root 2>/dev/null)/versions/3.10.13/bin/python3.10")
    for d in "$(pyenv root 2>/dev/null)"/versions/3.10.*; do candidates+=("$d/bin/python3.10"); done
  fi
  candidates+=(/root/.pyenv/versions/3.10.13/bin/python3.10 "$(command -v python3.10 || true)")
  for py in "${candidates[@]}"; do
    if [ -n "$py" ] && [ -x "$py" ] && "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
      echo "$py"; return 0
    fi
  done
  return 1
}

stamp=.venv/.requirements.sha
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
PY=$(find_python) || {
  echo "ERROR: Python 3.10 not found. Rasa 3.6 needs Python 3.10 (< 3.11)." >&2
  echo "Install it (e.g. 'pyenv install 3.10.13') or put python3.10 on PATH, then retry." >&2
  exit 1
}
echo "setup: creating .venv with $PY"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip==24.3.1 2>/dev/null || true
echo "setup: installing pinned packages (first time takes a few minutes)"
.venv/bin/python -m pip install -q -r requirements.lock
echo "$want" > "$stamp"
echo "setup: done"
