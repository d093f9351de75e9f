#!/usr/bin/env bash
# Build the pinned real Jaeger (tools/jaeger) into the cache once, then print
# its path. Tests and `ktrdr up --otlp-endpoint` users run this binary; it is
# built from the Go module proxy because no prebuilt download is possible here.
#
#   scripts/ensure-jaeger.sh            # prints e.g. ~/.cache/ktrdr/jaeger-v1.76.0
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(awk '{for (i = 1; i < NF; i++) if ($i == "github.com/jaegertracing/jaeger") print $(i+1)}' "$root/tools/jaeger/go.mod")
[[ -n "$version" ]] || { echo "ensure-jaeger: no jaeger version in tools/jaeger/go.mod" >&2; exit 1; }
cache="${KTRDR_CACHE:-$HOME/.cache/ktrdr}"
out="$cache/jaeger-$version"
if [[ ! -x "$out" ]]; then
  echo "ensure-jaeger: building Jaeger $version into $out (first time only; a few minutes)" >&2
  mkdir -p "$cache"
  start=$SECONDS
  (cd "$root/tools/jaeger" && go build -trimpath -o "$out.tmp.$$" github.com/jaegertracing/jaeger/cmd/jaeger)
  mv "$out.tmp.$$" "$out"
  echo "ensure-jaeger: built in $((SECONDS - start))s" >&2
fi
echo "$out"
