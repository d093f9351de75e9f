#!/usr/bin/env bash
# Benchmark: train the same MLP in pure Go (internal/nn) and in PyTorch on one
# synthetic fuzzy-feature dataset, single-threaded on both sides, and compare
# training throughput (samples/s, timed around the training loop only) and
# held-out test accuracy.
#
# Usage: bench/training/run.sh [N] [F]     (defaults N=20000 F=24)
# Env:   EPOCHS (20), SEED (42), INSTALL_ONLY=1 (just make sure torch is there)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
N="${1:-20000}"
F="${2:-24}"
EPOCHS="${EPOCHS:-20}"
SEED="${SEED:-42}"
PY=/usr/bin/python3 # the system python: Debian's python3-torch lives there, not in pyenv

"$root/scripts/ensure-torch.sh"
if [ "${INSTALL_ONLY:-0}" = 1 ]; then exit 0; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Keep both sides on one thread (and BLAS/OpenMP too, for the torch side).
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

(cd "$root" && go build -o "$work/training" ./bench/training)
"$work/training" -mode gen -n "$N" -f "$F" -seed "$SEED" -out "$work/data.csv"

go_json="$work/go.json"
torch_json="$work/torch.json"
GOMAXPROCS=1 "$work/training" -mode train -data "$work/data.csv" -epochs "$EPOCHS" -seed "$SEED" >"$go_json"
"$PY" "$here/torch_mlp.py" --data "$work/data.csv" --epochs "$EPOCHS" --seed "$SEED" >"$torch_json"

echo "go:    $(cat "$go_json")"
echo "torch: $(cat "$torch_json")"
"$PY" - "$go_json" "$torch_json" <<'PYEOF'
import json, sys
g = json.load(open(sys.argv[1]))
t = json.load(open(sys.argv[2]))
print("training samples/s: go=%.0f torch=%.0f ratio=%.2fx  accuracy: go=%.4f torch=%.4f"
      % (g["samples_per_sec"], t["samples_per_sec"], g["samples_per_sec"] / t["samples_per_sec"],
         g["test_accuracy"], t["test_accuracy"]))
PYEOF
