#!/usr/bin/env bash
# Fleet-scale benchmark (issue 8); not part of tests/run-all.sh. Needs a fake-chain build:
#   cargo build --release --all-features --bins
#   tests/bench/run.sh [--neurons 1000 --subnets 10 --latency-ms 5 --steady-seconds 120 --json out.json]
# TF_VENV (default .venv, as run-all.sh) holds tests/requirements.txt. TF_BIN / TF_FAKECHAIN_BIN /
# TF_BENCH_APISERVER_BIN override the binaries (default: $CARGO_TARGET_DIR or target/, release); the
# last is the Rust API emulator (tests/bench/apiserver) of `--apiserver rust`, the default.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
export TF_BIN="${TF_BIN:-$target/release/tensorfleet}"
export TF_FAKECHAIN_BIN="${TF_FAKECHAIN_BIN:-$target/release/tensorfleet-fakechain}"
python="${TF_VENV:-$repo/.venv}/bin/python"
[ -x "$python" ] || python=python3
export TF_BENCH_APISERVER_BIN="${TF_BENCH_APISERVER_BIN:-$target/release/tensorfleet-bench-apiserver}"
apiserver=rust
prev=""
for a in "$@"; do
  case "$a" in --apiserver=*) apiserver="${a#--apiserver=}" ;; esac
  [ "$prev" = "--apiserver" ] && apiserver="$a"
  prev="$a"
done
bins=("$TF_BIN" "$TF_FAKECHAIN_BIN")
[ "$apiserver" = rust ] && bins+=("$TF_BENCH_APISERVER_BIN")
for b in "${bins[@]}"; do
  [ -x "$b" ] || { echo "missing $b: cargo build --release --all-features --bins" >&2; exit 1; }
done
if [ "$apiserver" = rust ]; then
  "$TF_BENCH_APISERVER_BIN" --help | grep -- "--kubelet" >/dev/null \
    || { echo "$TF_BENCH_APISERVER_BIN is not the benchmark API server (no --kubelet in its --help)" >&2; exit 1; }
fi
exec "$python" "$here/fleet_bench.py" "$@"
