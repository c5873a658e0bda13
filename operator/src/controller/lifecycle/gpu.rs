//! GPU health of the pod's node (labels published by `tensorfleet agent`): `status.pod.gpuModel`
//! / `gpuCount`, the `GpuUnhealthy` condition, and a guarded restart (same backoff and hourly cap
//! as every operator restart) when the node reports unhealthy GPUs.

use super::restart::guarded_restart;
use super::target::Target;
use super::StepOutcome;
use crate::api::{types, CondSpec, Neuron, NeuronStatus};
use crate::controller::context::Context;
use crate::controller::error::Result;
use crate::decide::gpu::{verdict, GpuInput, GpuVerdict};
use k8s_openapi::api::core::v1::Pod;

/// The verdict for the Neuron's pod, from the agent Node store (no API call). `None` while a GPU
/// Neuron has no pod on a node (e.g. just restarted): its GpuUnhealthy condition stays as it was.
pub fn observe(ctx: &Context, neuron: &Neuron, pod: Option<&Pod>) -> Option<GpuVerdict> {
    let node_name = pod
        .and_then(|p| p.spec.as_ref())
        .and_then(|s| s.node_name.as_deref());
    if neuron.spec.gpus > 0 && node_name.is_none() {
        return None;
    }
    let node = node_name.and_then(|n| ctx.nodes.get(n));
    Some(verdict(&GpuInput {
        gpus: neuron.spec.gpus,
        node_name,
        node_labels: node.as_ref().map(|(l, _)| l),
        node_annotation: node.as_ref().and_then(|(_, a)| a.as_deref()),
        pod_terminating: pod.is_some_and(|p| p.metadata.deletion_timestamp.is_some()),
    }))
}

/// The condition for `verdict`; restarts the pod (when a lifecycle target exists) if it says so.
pub async fn step(
    t: Option<&Target<'_>>,
    status: &mut NeuronStatus,
    verdict: Option<&GpuVerdict>,
) -> Result<StepOutcome> {
    let Some(verdict) = verdict else {
        return Ok(StepOutcome::default());
    };
    let mut outcome = outcome(verdict.condition());
    if let (Some(t), Some(reason), Some(c)) = (t, verdict.restart(), verdict.condition()) {
        let (note, requeue) = guarded_restart(t, status, reason, &c.message).await?;
        outcome = outcome_with_note(c, &note);
        outcome.requeue = requeue;
    }
    Ok(outcome)
}

fn outcome(c: Option<CondSpec>) -> StepOutcome {
    StepOutcome {
        conditions: vec![(types::GPU_UNHEALTHY, c)],
        requeue: None,
    }
}

fn outcome_with_note(c: CondSpec, note: &str) -> StepOutcome {
    let message = format!("{}; {note}", c.message);
    outcome(Some(CondSpec { message, ..c }))
}

/// `status.pod.gpuModel` / `gpuCount` from the verdict.
pub fn fill_pod(status: &mut NeuronStatus, verdict: Option<&GpuVerdict>) {
    if let (Some(p), Some(v)) = (status.pod.as_mut(), verdict) {
        (p.gpu_model, p.gpu_count) = v.pod_gpu();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::gpu::GpuHealth;

    fn unhealthy(restart: bool) -> GpuVerdict {
        GpuVerdict::Unhealthy {
            health: GpuHealth::default(),
            node: "n1".into(),
            message: "node n1 reports unhealthy GPUs".into(),
            restart,
        }
    }

    #[tokio::test]
    async fn conditions_without_a_restart_target() {
        let mut st = NeuronStatus::default();
        let cond = |o: &StepOutcome| {
            o.conditions
                .iter()
                .map(|(t, c)| (*t, c.as_ref().map(|c| (c.status, c.reason.clone()))))
                .collect::<Vec<_>>()
        };
        // (verdict, conditions set): no verdict leaves GpuUnhealthy as it was
        let cases = [
            (None, vec![]),
            (
                Some(GpuVerdict::NotApplicable),
                vec![(types::GPU_UNHEALTHY, None)],
            ),
            (
                Some(GpuVerdict::Healthy(GpuHealth::default())),
                vec![(types::GPU_UNHEALTHY, Some((false, "GpusHealthy".into())))],
            ),
            (
                Some(unhealthy(true)),
                vec![(
                    types::GPU_UNHEALTHY,
                    Some((true, "NodeGpuUnhealthy".into())),
                )],
            ),
        ];
        for (v, want) in cases {
            let o = step(None, &mut st, v.as_ref()).await.unwrap();
            assert_eq!(cond(&o), want, "{v:?}");
            assert_eq!(o.requeue, None);
        }
        assert_eq!(st, NeuronStatus::default(), "no restart without a target");
    }

    #[test]
    fn notes_extend_the_message() {
        let o = outcome_with_note(unhealthy(true).condition().unwrap(), "pod restarted");
        let c = o.conditions[0].1.as_ref().unwrap();
        assert_eq!(c.message, "node n1 reports unhealthy GPUs; pod restarted");
        assert!(c.status);
    }
}
