#!/usr/bin/env bash
# Install the pinned grademark (the npm JavaScript backtester, MIT) and what
# bench/grademark/compare.js needs into the cache once, then print that
# directory; its node_modules is what compare.js is run with (NODE_PATH).
# The versions are the ones of bench/grademark/package.json and
# package-lock.json, installed with `npm ci`; a changed lock file reinstalls.
#
#   scripts/ensure-grademark.sh         # prints e.g. ~/.cache/ktrdr/grademark-0.3.0
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/bench/grademark"
version=$(sed -n 's/^ *"grademark": *"\([^"]*\)".*/\1/p' "$src/package.json" | head -n 1)
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "ensure-grademark: no exact grademark version in $src/package.json" >&2; exit 1; }
cache="${KTRDR_CACHE:-$HOME/.cache/ktrdr}"
out="$cache/grademark-$version"
# Installed and from this very lock file: nothing to do (the fast path).
if [[ -f "$out/node_modules/grademark/package.json" ]] && cmp -s "$src/package-lock.json" "$out/package-lock.json"; then
  echo "$out"
  exit 0
fi
command -v npm >/dev/null || { echo "ensure-grademark: npm not found (install Node.js 20+)" >&2; exit 1; }
echo "ensure-grademark: installing grademark $version into $out (first time only)" >&2
mkdir -p "$cache"
start=$SECONDS
# Install into a fresh directory and rename it into place, so a concurrent
# caller never sees a half-installed tree.
tmp=$(mktemp -d "$cache/grademark-$version.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$src/package.json" "$src/package-lock.json" "$tmp/"
(cd "$tmp" && npm ci --no-audit --no-fund --loglevel=error >&2)
old="$out.old.$$"
if [[ -e "$out" ]]; then mv "$out" "$old"; fi
if mv -T "$tmp" "$out" 2>/dev/null; then
  rm -rf "$old"
elif [[ -f "$out/node_modules/grademark/package.json" ]]; then
  rm -rf "$old" # another caller installed it first
else
  echo "ensure-grademark: could not move the install into $out" >&2
  exit 1
fi
echo "ensure-grademark: installed in $((SECONDS - start))s" >&2
echo "$out"
