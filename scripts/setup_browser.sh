#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser tests (Playwright for
# Python drives it; Playwright's own browser download is not used). Idempotent: a no-op
# when it is installed. Installs it with apt-get when we are root, else says what to do.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ERROR: $CHROMIUM is missing and we are not root, so it cannot be installed here." >&2
  echo "Install Debian's chromium (sudo apt-get install chromium) or point CHROMIUM_PATH at" >&2
  echo "a Chromium binary, then run 'make test' again." >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ERROR: $CHROMIUM is missing and there is no apt-get to install it with." >&2
  echo "Install Chromium with this system's package manager or set CHROMIUM_PATH." >&2
  exit 1
fi
echo "setup: installing Debian's chromium for the browser tests (one time)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# DejaVu covers Latin, Arabic and more, so screenshots show text rather than empty boxes
apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
if [ ! -x "$CHROMIUM" ]; then
  echo "ERROR: chromium was installed but $CHROMIUM is still missing; set CHROMIUM_PATH." >&2
  exit 1
fi
echo "setup: $("$CHROMIUM" --version 2>/dev/null | head -1)"
