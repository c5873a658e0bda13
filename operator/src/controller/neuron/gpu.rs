//! The GPU verdict for a Neuron's pod, from the agent-labelled Node store (no API call).

use crate::api::Neuron;
use crate::controller::context::Context;
use crate::decide::gpu::{self, GpuInput, GpuVerdict};
use k8s_openapi::api::core::v1::Pod;

/// `None` while a GPU Neuron has no pod on a node (e.g. just restarted): its GpuUnhealthy
/// condition stays as it was.
pub fn verdict(ctx: &Context, neuron: &Neuron, pod: Option<&Pod>) -> Option<GpuVerdict> {
    let node_name = pod
        .and_then(|p| p.spec.as_ref())
        .and_then(|s| s.node_name.as_deref());
    if neuron.spec.gpus > 0 && node_name.is_none() {
        return None;
    }
    let node = node_name.and_then(|n| ctx.nodes.get(n));
    Some(gpu::verdict(&GpuInput {
        gpus: neuron.spec.gpus,
        node_name,
        node_labels: node.as_ref().map(|(l, _)| l),
        node_annotation: node.as_ref().and_then(|(_, a)| a.as_deref()),
        pod_terminating: pod.is_some_and(|p| p.metadata.deletion_timestamp.is_some()),
    }))
}
