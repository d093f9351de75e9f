#!/usr/bin/env bash
# The project's test command (README): formatting, vet, staticcheck, then
# every test with the race detector, the end-to-end ones included.
set -euo pipefail
cd "$(dirname "$0")/.."

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [[ -n "$unformatted" ]]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
if command -v staticcheck >/dev/null; then
  staticcheck ./...
else
  echo "staticcheck not installed (go install honnef.co/go/tools/cmd/staticcheck@v0.8.2); skipping" >&2
fi
go test -race -count=1 -timeout 20m ./...
