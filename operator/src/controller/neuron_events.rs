//! The Warning Events a Neuron reconcile publishes when something newly goes wrong (a blocker,
//! a stuck pod), once per appearance rather than on every reconcile.

use super::context::Context;
use super::lifecycle;
use crate::api::{types, Neuron, NeuronStatus};
use crate::decide::Blocker;

/// A Warning Event when a blocker newly appears (not on every reconcile).
pub async fn announce_blocker(
    neuron: &Neuron,
    ctx: &Context,
    prev: &NeuronStatus,
    blocker: Option<&Blocker>,
) {
    let Some(b) = blocker else { return };
    let seen = prev
        .conditions
        .iter()
        .any(|c| c.type_ == types::READY && c.reason == b.reason() && c.message == b.message());
    if !seen {
        ctx.warn(neuron, b.reason(), b.message()).await;
    }
}

/// A Warning Event when the pod newly reports a stuck container (CrashLoopBackOff, image pull).
pub async fn announce_pod_trouble(
    neuron: &Neuron,
    ctx: &Context,
    prev: &NeuronStatus,
    health: &lifecycle::StepOutcome,
) {
    for (_, c) in &health.conditions {
        let Some(c) = c else { continue };
        let seen = prev
            .conditions
            .iter()
            .any(|p| p.type_ == types::POD_READY && p.reason == c.reason);
        if !seen {
            ctx.warn(neuron, &c.reason, &c.message).await;
        }
    }
}
