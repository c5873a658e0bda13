//! The committed CRDs in `crds/` must be exactly what the code generates.
//! Regenerate with: `cargo run -q -- crds --split crds/` (see README).

use kube::CustomResourceExt;
use tensorfleet::api::{Neuron, NeuronSet, Spend, Subnet};

fn check(file: &str, generated: String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crds")
        .join(file);
    let committed =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert!(
        committed == generated,
        "{} is out of date; regenerate with `cargo run -q -- crds --split crds/`",
        path.display()
    );
}

#[test]
fn committed_crds_match_generated() {
    check(
        "subnets.yaml",
        serde_yaml::to_string(&Subnet::crd()).unwrap(),
    );
    check(
        "neurons.yaml",
        serde_yaml::to_string(&Neuron::crd()).unwrap(),
    );
    check(
        "neuronsets.yaml",
        serde_yaml::to_string(&NeuronSet::crd()).unwrap(),
    );
    check("spends.yaml", serde_yaml::to_string(&Spend::crd()).unwrap());
}
