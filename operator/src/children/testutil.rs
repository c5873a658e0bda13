//! Test fixtures shared by the builder and decision tests.

use crate::api::{Neuron, Subnet};

/// A minimal Neuron with a uid (so owner references resolve), parsed like a user's manifest.
pub fn neuron(name: &str, subnet: &str, role: &str) -> Neuron {
    let mut n: Neuron = serde_yaml::from_str(&format!(
        "apiVersion: tensorfleet.io/v1alpha1\nkind: Neuron\nmetadata: {{name: {name}, namespace: miners}}\nspec: {{subnet: {subnet}, role: {role}, image: img:1}}\n"
    ))
    .expect("fixture parses");
    n.metadata.uid = Some(format!("uid-{name}"));
    n
}

/// A Subnet with netuid 21 and the given endpoints.
pub fn subnet(name: &str, endpoints: &[&str]) -> Subnet {
    let mut s: Subnet = serde_yaml::from_str(&format!(
        "apiVersion: tensorfleet.io/v1alpha1\nkind: Subnet\nmetadata: {{name: {name}, namespace: miners}}\nspec: {{netuid: 21, network: test, registration: {{maxBurnTao: \"1\"}}}}\n"
    ))
    .expect("fixture parses");
    s.spec.endpoints = endpoints.iter().map(|e| e.to_string()).collect();
    s
}
