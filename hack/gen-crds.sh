#!/usr/bin/env bash
# Regenerates the CRDs from the Rust types into every place that ships them (tests check all
# three copies are identical to the generated ones).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q -- crds --split crds/
for dir in charts/tensorfleet/crds config/crd/bases; do
  cp crds/*.yaml "$dir/"
done
