#!/usr/bin/env bash
# Makes sure the system python (/usr/bin/python3, not a pyenv one) imports
# Debian's python3-torch and python3-numpy, with OpenBLAS (libtorch only
# recommends an optimised BLAS; on the reference BLAS its matrix products are
# 3-4x slower, which would handicap torch in the benchmarks). Installs with
# apt-get the first time only. Used by bench/training/run.sh and
# bench/backtest/run.sh.
set -euo pipefail
PY=/usr/bin/python3
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
if ! /sbin/ldconfig -p | grep 'libopenblas' >/dev/null; then
	apt_install libopenblas0-pthread
fi
if [ "${1:-}" = "--with-node" ] && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then
	apt_install nodejs npm
fi
