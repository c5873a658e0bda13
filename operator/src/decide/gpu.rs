//! What the tensorfleet agent's Node labels mean for a Neuron: its pod's GPU model and count for
//! `status.pod`, the GpuUnhealthy condition, and whether the pod should be moved. Pure.
//!
//! Controller wiring (lifecycle): for a Neuron with `gpus > 0` whose pod has a node, read that
//! Node's labels and the `tensorfleet.io/gpu` annotation, call [`verdict`]; put
//! [`GpuVerdict::condition`] in status; when [`GpuVerdict::restart`] is `Some`, ask
//! `decide::restart::decide` (same backoff and hourly cap as every operator restart) and delete
//! the pod on `Restart`. The new pod's affinity (`children::gpu`) keeps it off unhealthy nodes.

use crate::api::{labels, CondSpec};
use crate::decide::restart::RestartReason;
use std::collections::BTreeMap;

/// The agent's view of one node, from its labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GpuHealth {
    /// Label form of the model ("NVIDIA-H100-80GB-HBM3"; "mixed" for several models).
    pub model: Option<String>,
    pub count: Option<u32>,
    /// `None` when the node has no GPU (the agent sets no healthy label then).
    pub healthy: Option<bool>,
}

/// Whether the agent has published on this node (its count label is always set when it does).
/// The cluster-wide question "does any node carry agent labels" for `children::gpu::pod_affinity` is
/// a Node list with label selector `tensorfleet.io/gpu.count` (key exists) and `limit=1`.
pub fn has_agent_labels(node_labels: &BTreeMap<String, String>) -> bool {
    node_labels.contains_key(labels::GPU_COUNT)
}

/// `None` when the agent has not published on this node.
pub fn gpu_health(node_labels: &BTreeMap<String, String>) -> Option<GpuHealth> {
    if !has_agent_labels(node_labels) {
        return None;
    }
    Some(GpuHealth {
        model: node_labels.get(labels::GPU_MODEL).cloned(),
        count: node_labels
            .get(labels::GPU_COUNT)
            .and_then(|c| c.parse().ok()),
        healthy: node_labels
            .get(labels::GPU_HEALTHY)
            .and_then(|h| h.parse().ok()),
    })
}

/// The per-GPU problems from the agent's annotation, "GPU 1 (GPU-uuid): xid-79", for messages.
/// Empty when the annotation is missing or unreadable (the labels alone still decide).
pub fn problems(annotation: Option<&str>) -> Vec<String> {
    let Some(v) = annotation.and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok()) else {
        return Vec::new();
    };
    let gpus = v["gpus"].as_array().cloned().unwrap_or_default();
    gpus.iter()
        .filter_map(|g| {
            let p: Vec<&str> = g["problems"]
                .as_array()?
                .iter()
                .filter_map(|p| p.as_str())
                .collect();
            (!p.is_empty()).then(|| {
                format!(
                    "GPU {} ({}): {}",
                    g["index"],
                    g["uuid"].as_str().unwrap_or("?"),
                    p.join(", ")
                )
            })
        })
        .collect()
}

/// Inputs: the Neuron's `gpus`, and its current pod's node (name, labels, agent annotation).
#[derive(Clone, Debug, Default)]
pub struct GpuInput<'a> {
    pub gpus: u32,
    pub node_name: Option<&'a str>,
    pub node_labels: Option<&'a BTreeMap<String, String>>,
    pub node_annotation: Option<&'a str>,
    /// The pod is already being deleted (e.g. by our last restart): do not ask again.
    pub pod_terminating: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GpuVerdict {
    /// No GPUs asked for, pod not scheduled yet, or no agent on its node: nothing to say.
    NotApplicable,
    Healthy(GpuHealth),
    Unhealthy {
        health: GpuHealth,
        node: String,
        message: String,
        /// Whether to ask the restart policy to move the pod.
        restart: bool,
    },
}

pub fn verdict(input: &GpuInput) -> GpuVerdict {
    let (Some(node), Some(node_labels)) = (input.node_name, input.node_labels) else {
        return GpuVerdict::NotApplicable;
    };
    if input.gpus == 0 {
        return GpuVerdict::NotApplicable;
    }
    let Some(health) = gpu_health(node_labels) else {
        return GpuVerdict::NotApplicable;
    };
    if health.healthy != Some(false) {
        return GpuVerdict::Healthy(health);
    }
    let detail = problems(input.node_annotation);
    let message = if detail.is_empty() {
        format!("node {node} reports unhealthy GPUs")
    } else {
        format!("node {node} reports unhealthy GPUs: {}", detail.join("; "))
    };
    GpuVerdict::Unhealthy {
        health,
        node: node.to_string(),
        message,
        restart: !input.pod_terminating,
    }
}

impl GpuVerdict {
    /// `status.pod.gpuModel` and `gpuCount`.
    pub fn pod_gpu(&self) -> (Option<String>, Option<u32>) {
        match self {
            Self::NotApplicable => (None, None),
            Self::Healthy(h) | Self::Unhealthy { health: h, .. } => (h.model.clone(), h.count),
        }
    }

    /// The GpuUnhealthy condition; `None` (condition absent) when not applicable.
    pub fn condition(&self) -> Option<CondSpec> {
        use crate::api::types::GPU_UNHEALTHY;
        match self {
            Self::NotApplicable => None,
            Self::Healthy(_) => Some(CondSpec::new(
                GPU_UNHEALTHY,
                false,
                "GpusHealthy",
                "the node's GPUs are healthy",
            )),
            Self::Unhealthy { message, .. } => Some(CondSpec::new(
                GPU_UNHEALTHY,
                true,
                "NodeGpuUnhealthy",
                message.clone(),
            )),
        }
    }

    /// `Some(GpuUnhealthy)` when the pod should be moved (subject to backoff and the hourly cap).
    pub fn restart(&self) -> Option<RestartReason> {
        matches!(self, Self::Unhealthy { restart: true, .. }).then_some(RestartReason::GpuUnhealthy)
    }
}

#[cfg(test)]
#[path = "gpu_tests.rs"]
mod tests;
