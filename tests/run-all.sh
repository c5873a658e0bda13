#!/usr/bin/env bash
# The whole tensorfleet test suite. Installs what it needs on a fresh Debian machine
# (apt-get as root, a Python venv with pinned packages, rustup components), then runs:
# formatting and lints, Rust unit/integration tests, and the Python end-to-end and packaging
# suites against the real binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
mkdir -p "$TARGET"
export CARGO_TERM_COLOR=never

step() { printf '\n=== %s\n' "$*"; }

step "system packages"
if ! command -v promtool >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
promtool --version | head -n 1

step "python venv"
VENV=${TF_VENV:-$ROOT/.venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
reqs=()
for r in tests/requirements.txt tests/*/requirements.txt; do [ -f "$r" ] && reqs+=(-r "$r"); done
"$VENV/bin/pip" install -q --disable-pip-version-check "${reqs[@]}"

step "rust toolchain components"
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy

# Test-only fakes (fake chain, failpoints, fake GPUs) are cargo features, off in shipped
# builds: the shipped feature set is linted and unit-tested on its own, then everything with
# all features (the end-to-end suite runs those binaries).
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy (shipped features)"
cargo clippy -q --all-targets -- -D warnings
step "cargo test (shipped features)"
cargo test -q >"$TARGET/cargo-test-shipped.log" 2>&1 || { cat "$TARGET/cargo-test-shipped.log"; exit 1; }
grep "^test result" "$TARGET/cargo-test-shipped.log"
step "cargo clippy (all features)"
cargo clippy -q --all-targets --all-features -- -D warnings
step "cargo test (all features)"
cargo test --all-features 2>&1 | tee "$TARGET/cargo-test.log"
step "build binaries for the end-to-end suite"
# Every workspace member's bins (the root manifest is virtual): the operator, the fake chain and
# tests/bench/apiserver's tensorfleet-bench-apiserver (tests/e2e/test_bench_apiserver.py).
cargo build -q --all-features --bins
export TF_BIN="$TARGET/debug/tensorfleet"
export TF_FAKECHAIN_BIN="$TARGET/debug/tensorfleet-fakechain"

step "pytest (end-to-end and packaging)"
export TF_E2E_REQUEST_LOG="$TARGET/e2e-requests.json"
export TF_METRICS_SAMPLE="$TARGET/e2e-metrics.txt"
rm -f "$TF_E2E_REQUEST_LOG" "$TF_METRICS_SAMPLE"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider tests
