//! Label sets of the controller's metrics, shared by `metrics` and `spend_metrics`.

use crate::api::Role;
use prometheus_client::encoding::EncodeLabelSet;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NeuronLabels {
    pub namespace: String,
    pub neuron: String,
    pub subnet: String,
    pub netuid: String,
    pub role: String,
}

impl NeuronLabels {
    pub fn new(namespace: &str, neuron: &str, subnet: &str, netuid: u16, role: Role) -> Self {
        Self {
            namespace: namespace.into(),
            neuron: neuron.into(),
            subnet: subnet.into(),
            netuid: netuid.to_string(),
            role: role.as_str().into(),
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SpendLabels {
    pub namespace: String,
    pub subnet: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub namespace: String,
    pub subnet: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RestartLabels {
    pub namespace: String,
    pub neuron: String,
    pub reason: String,
}
