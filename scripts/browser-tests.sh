#!/usr/bin/env bash
# The dashboard's browser tests (web-tests/): headless Debian chromium driven
# by playwright-core against a real `ktrdr up` on free loopback ports. First
# installs what is missing: Debian's chromium (apt) and the pinned npm
# packages (npm ci from web-tests/package-lock.json into a cache, found via
# NODE_PATH). Screenshots of every step: ${KTRDR_ARTIFACTS:-artifacts}/screenshots/,
# the stack's log: ${KTRDR_ARTIFACTS:-artifacts}/ktrdr-up.log.
#
#   scripts/browser-tests.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="/usr/local/go/bin:$PATH"

# Debian's chromium (the tests drive /usr/bin/chromium; no browser download).
if [[ ! -x /usr/bin/chromium ]]; then
  echo "browser-tests: installing Debian's chromium" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
command -v node >/dev/null && command -v npm >/dev/null || { echo "browser-tests: Node.js 20+ and npm are needed" >&2; exit 1; }

# playwright-core, exactly as locked, installed once per lockfile.
cache="${KTRDR_CACHE:-$HOME/.cache/ktrdr}/web-tests"
want=$(cat web-tests/package.json web-tests/package-lock.json | sha256sum | cut -d' ' -f1)
if [[ ! -d "$cache/node_modules/playwright-core" || "$(cat "$cache/.lock-sha256" 2>/dev/null)" != "$want" ]]; then
  echo "browser-tests: npm ci into $cache" >&2
  rm -rf "$cache"
  mkdir -p "$cache"
  cp web-tests/package.json web-tests/package-lock.json "$cache/"
  (cd "$cache" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$cache/.lock-sha256"
fi
export NODE_PATH="$cache/node_modules"

# The ktrdr binary under test.
bin_dir=$(mktemp -d)
trap 'rm -rf "$bin_dir"' EXIT
go build -o "$bin_dir/ktrdr" ./cmd/ktrdr
export KTRDR_BIN="$bin_dir/ktrdr"

export KTRDR_ARTIFACTS="${KTRDR_ARTIFACTS:-$root/artifacts}"
rm -rf "$KTRDR_ARTIFACTS/screenshots"
node web-tests/dashboard.test.mjs
