#!/usr/bin/env bash
# Validate distributed tracing end to end (the original validation guide's
# script). A thin wrapper around `ktrdr trace check`; see its --help.
#
#   scripts/test_distributed_tracing.sh                       # local defaults
#   JAEGER_URL=http://jaeger:16686 API_URL=http://api:8000 scripts/test_distributed_tracing.sh
#   scripts/test_distributed_tracing.sh --wait 60s            # extra flags pass through
#
# KTRDR_BIN selects a built binary; otherwise the repository's source is run.
set -euo pipefail
cd "$(dirname "$0")/.."
args=(trace check --query "${JAEGER_URL:-http://localhost:16686}" --api-url "${API_URL:-http://localhost:8000}" "$@")
if [[ -n "${KTRDR_BIN:-}" ]]; then
  exec "$KTRDR_BIN" "${args[@]}"
fi
exec go run ./cmd/ktrdr "${args[@]}"
