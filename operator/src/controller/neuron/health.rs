//! The health facts of the plan: a validator's weights as the snapshot and the cache show them,
//! the restart window, the node's GPU verdict, the operator's recent restarts.

use super::observe::Observed;
use crate::api::{types, CondSpec, Neuron, NeuronStatus, Role};
use crate::controller::context::Context;
use crate::decide::neuron_plan::{HealthFacts, RestartWindow, WeightAge};
use jiff::{SignedDuration, Timestamp};

/// The shortest restart window after a weight set, for subnets without a rate limit.
const RESTART_WINDOW_MIN_BLOCKS: u64 = 10;

/// How long a validator's restart may wait for its window: one tempo of 12 s blocks, at most
/// an hour (a node's GPUs may be failing).
fn restart_wait_bound(tempo: u16) -> std::time::Duration {
    std::time::Duration::from_secs((u64::from(tempo) * 12).min(3600))
}

/// When a condition of `type_` last turned True, from status.
fn trouble_since(prev: &NeuronStatus, type_: &str) -> Option<Timestamp> {
    let c = prev
        .conditions
        .iter()
        .find(|c| c.type_ == type_ && c.status == "True")?;
    Some(c.last_transition_time.0)
}

/// Restart times within the last hour, from status.
pub fn recent_restarts(prev: &NeuronStatus, now: Timestamp) -> Vec<Timestamp> {
    let hour_ago = now - SignedDuration::from_hours(1);
    prev.operator_restarts
        .iter()
        .flat_map(|r| r.recent.iter())
        .filter_map(|t| t.parse().ok())
        .filter(|t| *t > hour_ago)
        .collect()
}

pub fn facts(
    neuron: &Neuron,
    ctx: &Context,
    obs: &Observed,
    prev: &NeuronStatus,
    now: Timestamp,
) -> HealthFacts {
    let h = &neuron.spec.health;
    let validator = neuron.spec.role == Role::Validator;
    let weights = obs.snapshot().zip(obs.info()).and_then(|(s, info)| {
        let since = obs
            .chain
            .as_ref()
            .and_then(|c| c.weights_since.get(&info.uid))
            .map(|(_, since)| *since);
        let (last_update, mechanism) = s.oldest_last_update(info);
        let w = WeightAge::of(
            h.max_weight_age_blocks,
            &s.params,
            s.block,
            last_update,
            since,
        );
        w.filter(|_| validator).map(|w| w.on_mechanism(mechanism))
    });
    let gpu_before = prev
        .conditions
        .iter()
        .find(|c| c.type_ == types::GPU_UNHEALTHY)
        .map(|c| {
            CondSpec::new(
                types::GPU_UNHEALTHY,
                c.status == "True",
                &c.reason,
                c.message.clone(),
            )
        });
    let window = obs.snapshot().zip(obs.info()).filter(|_| validator);
    HealthFacts {
        window: window.map(|(s, info)| RestartWindow {
            age_blocks: s.block.saturating_sub(info.last_update),
            blocks: s.params.weights_rate_limit.max(RESTART_WINDOW_MIN_BLOCKS),
            since: trouble_since(prev, types::GPU_UNHEALTHY).unwrap_or(now),
            bound: restart_wait_bound(s.params.tempo),
        }),
        weights,
        gpu: super::gpu::verdict(ctx, neuron, obs.pod.as_deref()),
        gpu_before,
        recent_restarts: recent_restarts(prev, now),
        max_restarts_per_hour: h.max_restarts_per_hour,
    }
}
