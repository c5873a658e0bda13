//! Pure builders: Neuron (+ its Subnet) → the child objects the operator applies. No client, no
//! async, no chain: every input is passed in, so `render` and the controller build the same objects.

mod env;
pub mod gpu;
mod labels;
mod neuronset;
mod service;
mod statefulset;
mod wallet;

#[cfg(test)]
pub(crate) mod testutil;

pub use env::*;
pub use labels::*;
pub use neuronset::*;
pub use service::*;
pub use statefulset::*;
pub use wallet::*;

use crate::api::{Neuron, Subnet};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Secret, Service};

/// Every child of one Neuron.
#[derive(Clone, Debug)]
pub struct NeuronChildren {
    pub wallet: Secret,
    pub statefulset: StatefulSet,
    pub service: Option<Service>,
}

/// Builds all children. `files = None` when the keys are not known (offline render);
/// `agent_nodes`: some Node carries the GPU agent's labels (GPU pods then avoid unhealthy ones).
pub fn neuron_children(
    neuron: &Neuron,
    subnet: &Subnet,
    files: Option<&WalletFiles>,
    replicas: i32,
    external: ExternalAxon,
    agent_nodes: bool,
) -> NeuronChildren {
    let inputs = PodInputs {
        replicas,
        wallet_version: files.map(WalletFiles::version).unwrap_or_default(),
        has_coldkeypub: files.is_none_or(|f| f.coldkeypub.is_some()),
        external,
        agent_nodes,
    };
    NeuronChildren {
        wallet: wallet_secret(neuron, &hotkey_secret_name(neuron), files),
        statefulset: statefulset(neuron, subnet, &inputs),
        service: axon_service(neuron),
    }
}

/// FNV-1a (64 bit) as 16 hex digits: a change detector that is stable across Rust releases
/// (unlike `DefaultHasher`). Not for secrets: callers feed it public data only.
pub fn fnv1a_hex(bytes: impl IntoIterator<Item = u8>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}
