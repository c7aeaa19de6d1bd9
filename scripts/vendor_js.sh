#!/usr/bin/env bash
# Rebuild the vendored browser libraries under handoff/web/static/vendor/ from the npm
# registry (no CDN at run time: the gateway serves these files itself, under its strict CSP).
#
#   bash scripts/vendor_js.sh          fetch, check the checksum, copy
#   bash scripts/vendor_js.sh --check  only check that the vendored file matches the pin
#
# Chart.js (MIT): the prebuilt UMD bundle dist/chart.umd.js, which defines window.Chart and
# uses neither eval nor new Function. Bump VERSION and SHA256 together, then run this.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NAME=chart.js
VERSION=4.6.1
SHA256=338399fb5bafe598d21cfc471b0590b61ceb321a985fade4f68499b151f67fbf
DEST="$ROOT/handoff/web/static/vendor/chartjs"

check() {
  echo "$SHA256  $1" | sha256sum --check --quiet -
}

if [ "${1:-}" = "--check" ]; then
  check "$DEST/chart.umd.js"
  grep -q "Chart.js v$VERSION" "$DEST/chart.umd.js"
  echo "vendor: $NAME $VERSION ok"
  exit 0
fi

command -v npm >/dev/null || { echo "ERROR: npm is needed (apt-get install npm)" >&2; exit 1; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "$NAME@$VERSION" >/dev/null && tar xzf "$NAME-$VERSION.tgz")
check "$TMP/package/dist/chart.umd.js"
mkdir -p "$DEST"
cp "$TMP/package/dist/chart.umd.js" "$DEST/chart.umd.js"
cp "$TMP/package/LICENSE.md" "$DEST/LICENSE.md"
printf '%s %s (npm package %s, file dist/chart.umd.js, sha256 %s)\n' \
  "$NAME" "$VERSION" "$NAME@$VERSION" "$SHA256" > "$DEST/VERSION"
echo "vendor: $NAME $VERSION -> ${DEST#"$ROOT"/}"
