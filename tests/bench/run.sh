#!/usr/bin/env bash
# Fleet-scale benchmark (issue 8); not part of tests/run-all.sh. Needs a fake-chain build:
#   cargo build --release --all-features --bins
#   tests/bench/run.sh [--neurons 1000 --subnets 10 --latency-ms 5 --steady-seconds 120 --json out.json]
# TF_VENV (default .venv, as run-all.sh) holds tests/requirements.txt. TF_BIN / TF_FAKECHAIN_BIN override the binaries (default: $CARGO_TARGET_DIR or target/, release).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
export TF_BIN="${TF_BIN:-$target/release/tensorfleet}"
export TF_FAKECHAIN_BIN="${TF_FAKECHAIN_BIN:-$target/release/tensorfleet-fakechain}"
python="${TF_VENV:-$repo/.venv}/bin/python"
[ -x "$python" ] || python=python3
for b in "$TF_BIN" "$TF_FAKECHAIN_BIN"; do
  [ -x "$b" ] || { echo "missing $b: cargo build --release --all-features --bins" >&2; exit 1; }
done
exec "$python" "$here/fleet_bench.py" "$@"
