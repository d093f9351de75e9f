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

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
apt_install() {
	echo "installing $* with apt-get (may take a few minutes)..." >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if ! "$PY" -c 'import torch, numpy' >/dev/null 2>&1; then
	apt_install python3-torch python3-numpy
	"$PY" -c 'import torch, numpy' # fail loudly if it still does not import
fi
# libtorch only recommends an optimised BLAS; without one its matrix products
# run on the reference BLAS, which would handicap torch here.
if ! /sbin/ldconfig -p | grep 'libopenblas' >/dev/null; then
	apt_install libopenblas0-pthread
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	apt_install nodejs npm
fi
grademark_dir="$("$root/scripts/ensure-grademark.sh")"
if [ "${INSTALL_ONLY:-0}" = 1 ]; then exit 0; fi

# One thread for torch's BLAS/OpenMP too (torch_loop.py also calls
# torch.set_num_threads(1)); the Go side sets GOMAXPROCS=1 itself.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

cd "$root"
go run ./bench/backtest -grademark "$grademark_dir" -python "$PY" "$@"
