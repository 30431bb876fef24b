#!/usr/bin/env bash
# Install Debian's chromium (and a font with the checklist glyphs) for the report's headless-browser
# tests (tests/report, tests/living) and for `icp report -o icp.pdf/.png`, if missing.
# Prints the browser path on success; exits non-zero (and the test skips) if it cannot be installed.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    echo /usr/bin/chromium
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
test -x /usr/bin/chromium
echo /usr/bin/chromium
