//! The chain-driven lifecycle steps that act on the chain (registration; later stake, axon and
//! restarts). They own `status.registration`, `pendingRegistration` and the
//! `RegistrationBlocked` condition; everything else in status belongs to the core reconcile.
//!
//! Money rule: every step that spends reads the chain directly (never the poller's cache)
//! right before acting, and records its intent in status before submitting.

pub mod axon;
pub mod failpoint;
pub mod gpu;
pub mod health;
pub mod metrics;
mod reg_submit;
pub mod registration;
pub mod restart;
mod spend;
pub mod staking;
pub mod target;

use super::apply::apply_status_at;
use super::context::Context;
use super::error::Result;
use crate::api::{merge_conditions, CondSpec, Condition, Neuron, NeuronStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::runtime::events::{Event, EventType};
use kube::{Api, Resource, ResourceExt};
use std::time::Duration;

/// What a lifecycle step wants from the rest of the reconcile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepOutcome {
    /// The step's condition, by type: `Some` sets it, `None` removes it.
    pub conditions: Vec<(&'static str, Option<CondSpec>)>,
    /// Reconcile again this soon (e.g. an intent waiting to be resolved).
    pub requeue: Option<Duration>,
}

impl StepOutcome {
    /// Both steps' conditions; the sooner requeue.
    pub fn and(mut self, other: StepOutcome) -> Self {
        self.conditions.extend(other.conditions);
        self.requeue = match (self.requeue, other.requeue) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self
    }

    pub fn retry(after: Duration) -> Self {
        Self {
            requeue: Some(after),
            ..Default::default()
        }
    }
}

/// Replaces conditions of the steps' types in `list` (keeping transition times).
pub fn apply_conditions(
    list: &mut Vec<Condition>,
    outcome: &StepOutcome,
    generation: Option<i64>,
    now: &Time,
) {
    for (type_, spec) in &outcome.conditions {
        let old: Vec<Condition> = list.iter().filter(|c| c.type_ == *type_).cloned().collect();
        list.retain(|c| c.type_ != *type_);
        if let Some(spec) = spec {
            list.extend(merge_conditions(
                &old,
                std::slice::from_ref(spec),
                generation,
                now,
            ));
        }
    }
}

/// The resourceVersion a reconcile's Neuron status writes are conditioned on: the version the
/// reconcile read, then that of each of its own writes. A write from an older view (a lagging
/// store, or the request of a killed process landing late) fails with 409 Conflict instead of
/// putting back older registration records or a resolved intent.
#[derive(Debug, Default)]
pub struct StatusVersion(std::sync::Mutex<Option<String>>);

impl StatusVersion {
    pub fn new(resource_version: Option<String>) -> Self {
        Self(std::sync::Mutex::new(resource_version))
    }

    pub fn get(&self) -> Option<String> {
        self.0.lock().expect("status version").clone()
    }

    fn set(&self, resource_version: Option<String>) {
        *self.0.lock().expect("status version") = resource_version;
    }
}

/// Writes the whole status (server-side apply replaces what this manager applied before, so a
/// partial status would drop the other fields), if the Neuron is still at the step's version.
pub async fn write_status(t: &target::Target<'_>, status: &NeuronStatus) -> Result<()> {
    write_status_at(t.ctx, t.neuron, t.version, status).await
}

/// `write_status` outside the steps (the reconcile's final write).
pub async fn write_status_at(
    ctx: &Context,
    neuron: &Neuron,
    version: &StatusVersion,
    status: &NeuronStatus,
) -> Result<()> {
    let ns = neuron.namespace().unwrap_or_default();
    let api: Api<Neuron> = Api::namespaced(ctx.client.clone(), &ns);
    let at = version.get();
    let written = apply_status_at(&api, &neuron.name_any(), status, at.as_deref()).await?;
    super::freshness::wrote(ctx, &written);
    version.set(written.resource_version().or(at));
    Ok(())
}

/// Publishes an Event on the Neuron; failures are logged, never fatal.
pub async fn publish(ctx: &Context, neuron: &Neuron, type_: EventType, reason: &str, note: &str) {
    let ev = Event {
        type_,
        reason: reason.into(),
        note: Some(note.chars().take(1000).collect()),
        action: "Lifecycle".into(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&ev, &neuron.object_ref(&())).await {
        tracing::warn!(error = %e, reason, "could not publish Event");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types;

    fn cond(type_: &'static str, status: bool, reason: &str) -> CondSpec {
        CondSpec::new(type_, status, reason, "m")
    }

    #[test]
    fn outcomes_combine_and_replace_conditions() {
        let a = StepOutcome {
            conditions: vec![(
                types::REGISTRATION_BLOCKED,
                Some(cond(types::REGISTRATION_BLOCKED, true, "BurnAboveCap")),
            )],
            requeue: Some(Duration::from_secs(6)),
        };
        let b = StepOutcome {
            conditions: vec![(types::STAKE_SATISFIED, None)],
            requeue: Some(Duration::from_secs(2)),
        };
        let both = a.and(b).and(StepOutcome::default());
        assert_eq!(both.requeue, Some(Duration::from_secs(2)));
        let t0 = Time(jiff::Timestamp::from_second(1_800_000_000).unwrap());
        let t1 = Time(jiff::Timestamp::from_second(1_800_000_100).unwrap());
        let mut list = merge_conditions(
            &[],
            &[
                cond(types::READY, false, "x"),
                cond(types::STAKE_SATISFIED, true, "TargetReached"),
            ],
            Some(1),
            &t0,
        );
        apply_conditions(&mut list, &both, Some(1), &t0);
        let types_now: Vec<&str> = list.iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(types_now, [types::READY, types::REGISTRATION_BLOCKED]);
        // unchanged status keeps its transition time
        apply_conditions(&mut list, &both, Some(1), &t1);
        assert_eq!(list[1].last_transition_time, t0);
    }
}
