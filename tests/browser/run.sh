#!/usr/bin/env bash
# The browser check of the demo's two HTML reports, as CI runs it (after `cargo test --workspace`,
# which builds target/debug/erosion):  tests/browser/run.sh [SCREENSHOT_DIR]
# Installs the Debian package `chromium` when no Chromium is on the path (as root, or through
# passwordless sudo); when it cannot, it fails and says so. It never skips.
set -euo pipefail
cd "$(dirname "$0")/../.."
shots="${1:-target/browser-screenshots}"

if ! command -v "${CHROMIUM:-chromium}" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root=(sudo -n)
  else
    echo "browser check: Chromium is not installed and this user cannot install it (not root, no" \
         "passwordless sudo); install the Debian package 'chromium' or set CHROMIUM" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "browser check: Chromium is not installed and there is no apt-get to install it with;" \
         "install Chromium or set CHROMIUM" >&2
    exit 1
  fi
  echo "installing chromium (apt-get)"
  "${as_root[@]}" apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq \
         chromium >/dev/null \
    || { echo "browser check: apt-get could not install chromium" >&2; exit 1; }
fi

erosion=target/debug/erosion
if [ ! -x "$erosion" ]; then
  cargo build -p erosion-cli
fi
demo="$(mktemp -d)"
trap 'rm -rf "$demo"' EXIT
"$erosion" --quiet demo --out "$demo/demo" >/dev/null 2>"$demo/demo.log" \
  || { cat "$demo/demo.log" >&2; echo "browser check: erosion demo failed" >&2; exit 1; }
# both pages open with a verdict box; the audit page was 28,600 px tall before its long tables were
# collapsed and its plots made small multiples (14,300 px on 2026-12-06): fail past 18,000
python3 tests/browser/check_reports.py --self-test --max-height 18000 --screenshots "$shots" \
  "$demo/demo/report.html" "$demo/demo/audit/report.html"
