//! Custom resource types: the user-facing contract of `../shared/API.md`. No I/O here.

mod common;
mod condition;
// Each `printcolumn(...)` repeats the same keys, which clippy mistakes for duplicated attributes.
#[allow(clippy::duplicated_attributes)]
mod neuron;
mod neuron_status;
#[allow(clippy::duplicated_attributes)]
mod neuronset;
mod rollout;
mod rollout_status;
#[allow(clippy::duplicated_attributes)]
mod spend;
#[allow(clippy::duplicated_attributes)]
mod subnet;
mod tao;

pub use common::*;
pub use condition::*;
pub use neuron::*;
pub use neuron_status::*;
pub use neuronset::*;
pub use rollout::*;
pub use rollout_status::*;
pub use spend::*;
pub use subnet::*;
pub use tao::*;

/// API group of every tensorfleet kind.
pub const GROUP: &str = "tensorfleet.io";
/// Served and stored version.
pub const VERSION: &str = "v1alpha1";
/// Field manager for server-side apply of everything the operator owns.
pub const FIELD_MANAGER: &str = "tensorfleet";

/// Labels the operator puts on every child object.
pub mod labels {
    pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
    pub const MANAGED_BY_VALUE: &str = "tensorfleet";
    pub const NEURON: &str = "tensorfleet.io/neuron";
    pub const SUBNET: &str = "tensorfleet.io/subnet";
    pub const ROLE: &str = "tensorfleet.io/role";
    pub const NEURON_SET: &str = "tensorfleet.io/neuronset";
    /// On Spends: the account that signed.
    pub const SIGNER: &str = "tensorfleet.io/signer";
    /// On Spends: what the extrinsic does (Register, AddStake, RemoveStake).
    pub const CALL: &str = "tensorfleet.io/call";
    /// On hotkey Secrets the operator generated.
    pub const GENERATED: &str = "tensorfleet.io/generated";
    /// Annotation on NeuronSet members: hash of the set template they were built from.
    pub const TEMPLATE_HASH: &str = "tensorfleet.io/template-hash";
    /// Node labels, annotation and taint published by `tensorfleet agent` (docs/gpu-agent.md).
    pub const GPU_MODEL: &str = "tensorfleet.io/gpu.model";
    pub const GPU_COUNT: &str = "tensorfleet.io/gpu.count";
    pub const GPU_HEALTHY: &str = "tensorfleet.io/gpu.healthy";
    pub const GPU_ANNOTATION: &str = "tensorfleet.io/gpu";
    pub const GPU_UNHEALTHY_TAINT: &str = "tensorfleet.io/gpu-unhealthy";
}

/// All CRDs this operator serves, in a stable order (Subnet, Neuron, NeuronSet, Spend).
pub fn crds(
) -> Vec<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition>
{
    use kube::CustomResourceExt;
    vec![Subnet::crd(), Neuron::crd(), NeuronSet::crd(), Spend::crd()]
}

/// All CRDs as one multi-document YAML stream (what `tensorfleet crds` prints and `crds/` holds).
pub fn crds_yaml() -> String {
    crds()
        .iter()
        .map(|crd| serde_yaml::to_string(crd).expect("CRD serializes to YAML"))
        .collect::<Vec<_>>()
        .join("---\n")
}

/// Writes one file per CRD (`<plural>.yaml`) into `dir`.
pub fn write_crds(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for crd in crds() {
        let path = dir.join(format!("{}.yaml", crd.spec.names.plural));
        std::fs::write(&path, serde_yaml::to_string(&crd)?)?;
    }
    Ok(())
}
