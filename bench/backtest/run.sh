#!/usr/bin/env bash
# Benchmark: ktrdr's backtests against their baselines, on the S&P 500 daily
# sample repeated to 1M bars, single-threaded on every side (see main.go):
#   1. the SMA(10)/SMA(30) crossover baseline against grademark (npm, run by
#      node), trades compared one by one;
#   2. a model-driven backtest (strategies/volatility_regime.yaml's features
#      and MLP) against a per-bar PyTorch loop (torch_loop.py, the system
#      python), decisions compared bar by bar.
# It makes sure torch, numpy, an optimised BLAS and grademark are installed
# (apt-get, npm; the first time only), then runs `go run ./bench/backtest`.
# Takes a few minutes, mostly the torch loop (about 10k bars/s).
#
# Usage: bench/backtest/run.sh [flags of bench/backtest, e.g. -bars 200000]
# Env:   INSTALL_ONLY=1 (just make sure everything is there)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
PY=/usr/bin/python3 # the system python: Debian's python3-torch lives there, not in pyenv

"$root/scripts/ensure-torch.sh" --with-node
grademark_dir="$("$root/scripts/ensure-grademark.sh")"
if [ "${INSTALL_ONLY:-0}" = 1 ]; then exit 0; fi

# One thread for torch's BLAS/OpenMP too (torch_loop.py also calls
# torch.set_num_threads(1)); the Go side sets GOMAXPROCS=1 itself.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

cd "$root"
go run ./bench/backtest -grademark "$grademark_dir" -python "$PY" "$@"
