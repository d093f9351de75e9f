#!/usr/bin/env bash
# Smoke-test `ktrdr mcp` with a real, external MCP client: the MCP Inspector's
# CLI mode (npm @modelcontextprotocol/inspector, pinned below), installed once
# into ~/.cache/ktrdr/mcp-inspector-$VERSION with npm. Assumes a running ktrdr
# (`ktrdr up`); every call starts `ktrdr mcp` over stdio, as an agent's client
# does, and checks:
#
#   tools/list                      16 tools, schemas clean under --strict
#   tools/call health               the API answers ok
#   tools/call list_strategies      rsi_mean_reversion is listed
#   tools/call start_training       a training of rsi_mean_reversion starts;
#   tools/call get_operation        ... polled until completed;
#   the trace (query API)           ONE trace with spans of ktrdr-mcp-server
#                                   (root mcp.tool.start_training), ktrdr-api,
#                                   ktrdr-training-worker-* and
#                                   ktrdr-ib-host-service, data.fetch's
#                                   ancestors host → worker → api → mcp;
#   tools/call get_operation_trace  that trace as a tree.
#
# Usage:
#   go run ./cmd/ktrdr up                          # in another shell
#   scripts/mcp-inspector-smoke.sh                 # API :8000, traces :16686, OTLP :4317
#
#   # ktrdr up on other ports: say where the API, the query API and OTLP are
#   API_URL=http://127.0.0.1:18000 QUERY_URL=http://127.0.0.1:26686 \
#     OTLP_ENDPOINT=http://127.0.0.1:14318 scripts/mcp-inspector-smoke.sh
#
# OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_* and ENVIRONMENT are handed to the server
# (the inspector starts it with a minimal environment). KTRDR_BIN selects a
# built ktrdr; otherwise this checkout is built into the cache.
# KTRDR_MCP_INSPECTOR_VERSION overrides the pinned inspector. Needs Node.js
# 20+ with npm, curl and Go. Exits 0 when every check passed, else 1 naming
# the failed check.
set -euo pipefail
VERSION=${KTRDR_MCP_INSPECTOR_VERSION:-2.12.0}
root=$(cd "$(dirname "$0")/.." && pwd)
cache="${KTRDR_CACHE:-$HOME/.cache/ktrdr}"
api=${API_URL:-http://127.0.0.1:8000}
query=${QUERY_URL:-http://127.0.0.1:16686}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }
for tool in node npm curl; do
  command -v "$tool" >/dev/null || fail "$tool not found (install Node.js 20+ with npm, and curl)"
done

# The inspector, once, into the cache (installed beside and renamed into
# place, so a concurrent run never sees half a tree).
dir="$cache/mcp-inspector-$VERSION"
inspector="$dir/node_modules/.bin/mcp-inspector"
if [[ ! -x "$inspector" ]]; then
  echo "installing @modelcontextprotocol/inspector@$VERSION into $dir (first time only)" >&2
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/mcp-inspector-$VERSION.tmp.XXXXXX")
  (cd "$tmp" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error "@modelcontextprotocol/inspector@$VERSION" >&2) ||
    { rm -rf "$tmp"; fail "npm install @modelcontextprotocol/inspector@$VERSION"; }
  if ! mv -T "$tmp" "$dir" 2>/dev/null; then
    rm -rf "$tmp"
    [[ -x "$inspector" ]] || fail "could not move the inspector into $dir"
  fi
fi

bin=${KTRDR_BIN:-}
if [[ -z "$bin" ]]; then
  bin="$cache/mcp-smoke/ktrdr"
  (cd "$root" && go build -o "$bin" ./cmd/ktrdr) || fail "go build ./cmd/ktrdr"
fi

curl -fsS -m 5 "$api/health" >/dev/null || fail "no ktrdr API at $api: start it with ktrdr up (or set API_URL)"
curl -fsS -m 5 "$query/api/services" >/dev/null || fail "no trace query API at $query (set QUERY_URL)"

# What the server needs to export its spans where ktrdr up's services do.
envargs=()
for v in OTLP_ENDPOINT OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL \
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL OTEL_SDK_DISABLED ENVIRONMENT LOG_LEVEL; do
  if [[ -n "${!v:-}" ]]; then envargs+=(-e "$v=${!v}"); fi
done

# mcp METHOD [inspector args...]: one inspector run (a fresh `ktrdr mcp`);
# prints the JSON result; the server's stderr is kept for a failure.
mcp() {
  local method=$1
  shift
  if ! "$inspector" --cli "${envargs[@]}" "$bin" mcp --url "$api" --query "$query" \
    --method "$method" "$@" --format json -q >"$work/out.json" 2>"$work/err.txt"; then
    cat "$work/out.json" "$work/err.txt" >&2
    fail "inspector $method $*"
  fi
  cat "$work/out.json"
}

# js EXPR: evaluates EXPR with r = the JSON on stdin's "result" (or the whole
# document when it has none); prints strings as they are, the rest as JSON.
js() {
  node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      const doc = JSON.parse(s), r = doc.result ?? doc;
      const v = (new Function("r", "return (" + process.argv[1] + ")"))(r);
      console.log(typeof v === "string" ? v : JSON.stringify(v));
    });' "$1"
}

step "tools/list (--strict: schema portability problems are errors)"
out=$(mcp tools/list --strict)
names=$(js 'r.tools.map(t => t.name).join(" ")' <<<"$out")
count=$(js 'r.tools.length' <<<"$out")
echo "$count tools: $names"
[[ "$count" == 16 ]] || fail "tools/list: $count tools, want 16"

step "tools/call health"
out=$(mcp tools/call --tool-name health)
js 'r.content[0].text' <<<"$out"
[[ $(js 'r.structuredContent.status' <<<"$out") == ok ]] || fail "health: $out"

step "tools/call list_strategies"
out=$(mcp tools/call --tool-name list_strategies)
js 'r.content[0].text' <<<"$out"
[[ $(js 'r.structuredContent.strategies.some(s => s.name === "rsi_mean_reversion")' <<<"$out") == true ]] ||
  fail "list_strategies lacks rsi_mean_reversion"

step "tools/call start_training strategy=rsi_mean_reversion"
out=$(mcp tools/call --tool-name start_training --tool-arg strategy=rsi_mean_reversion)
js 'r.content[0].text' <<<"$out"
op=$(js 'r.structuredContent.operation_id' <<<"$out")
trace=$(js 'r.structuredContent.trace_id' <<<"$out")
[[ "$op" == op_training_* && ${#trace} == 32 ]] || fail "start_training: $out"

step "tools/call get_operation operation_id=$op (until completed)"
deadline=$((SECONDS + 300))
while :; do
  out=$(mcp tools/call --tool-name get_operation --tool-arg "operation_id=$op")
  status=$(js 'r.structuredContent.status' <<<"$out")
  case "$status" in
  completed) js 'r.content[0].text' <<<"$out"; break ;;
  failed | cancelled) js 'r.content[0].text' <<<"$out"; fail "training $op $status" ;;
  esac
  ((SECONDS < deadline)) || fail "training $op still $status after 300s"
  sleep 1
done

step "the trace $trace in the query API at $query"
# One trace: mcp → api → worker → host along data.fetch's ancestors.
check='
  const t = r.data && r.data[0];
  if (!t) return "no trace yet";
  const svc = s => t.processes[s.processID].serviceName;
  const byID = Object.fromEntries(t.spans.map(s => [s.spanID, s]));
  const parent = s => (s.references || []).find(x => x.refType === "CHILD_OF");
  const services = [...new Set(t.spans.map(svc))].sort();
  const need = ["ktrdr-mcp-server", "ktrdr-api", "ktrdr-training-worker-", "ktrdr-ib-host-service"];
  const missing = need.filter(n => !services.some(s => s === n || (n.endsWith("-") && s.startsWith(n))));
  if (missing.length) return "missing services " + missing.join(", ");
  const fetch = t.spans.find(s => s.operationName === "data.fetch");
  if (!fetch) return "no data.fetch span yet";
  const chain = [];
  for (let s = fetch; s && chain.length < 50; s = parent(s) && byID[parent(s).spanID]) chain.push(svc(s) + ":" + s.operationName);
  const order = chain.map(c => c.split(":")[0]).filter((s, i, a) => i === 0 || a[i - 1] !== s);
  const root = chain[chain.length - 1];
  const want = ["ktrdr-ib-host-service", "ktrdr-training-worker-", "ktrdr-api", "ktrdr-mcp-server"];
  const ok = order.length === 4 && order.every((s, i) => s.startsWith(want[i])) && root === "ktrdr-mcp-server:mcp.tool.start_training";
  return (ok ? "OK " : "BAD ") + t.spans.length + " spans, services " + services.join(", ") + "\n  data.fetch chain: " + chain.join(" < ");
'
deadline=$((SECONDS + 60))
while :; do
  verdict=$(curl -fsS -m 5 "$query/api/traces/$trace" 2>/dev/null | js "(() => { $check })()" || echo "not readable yet")
  [[ "$verdict" == OK* ]] && break
  ((SECONDS < deadline)) || fail "trace $trace: $verdict"
  sleep 1
done
echo "$verdict"

step "tools/call get_operation_trace operation_id=$op"
out=$(mcp tools/call --tool-name get_operation_trace --tool-arg "operation_id=$op")
js 'r.content[0].text' <<<"$out"

printf '\nPASS: ktrdr mcp under the MCP Inspector %s: tools listed, health, strategies, and start_training as one trace mcp → api → worker → host (%s)\n' "$VERSION" "$trace"
