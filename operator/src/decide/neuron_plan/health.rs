//! Health in the plan: `WeightsFresh` (validators with `maxWeightAgeBlocks`), `GpuUnhealthy`
//! (the node agent's verdict), and whether to restart the pod for either — one restart at a
//! time, under the shared backoff and `maxRestartsPerHour` (`decide::restart`).

use super::until;
use crate::api::{types, CondSpec};
use crate::decide::gpu::GpuVerdict;
use crate::decide::restart::{decide, weights_stale, RestartReason, RestartStep};
use jiff::Timestamp;
use std::time::Duration;

/// A validator's weight age, when the check applies and the snapshot shows the hotkey.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightAge {
    pub age_blocks: u64,
    pub max_age_blocks: u64,
}

#[derive(Clone, Debug, Default)]
pub struct HealthFacts {
    pub weights: Option<WeightAge>,
    /// None while a GPU Neuron's pod is on no node: GpuUnhealthy stays as `gpu_before`.
    pub gpu: Option<GpuVerdict>,
    pub gpu_before: Option<CondSpec>,
    /// Operator restarts in the last hour.
    pub recent_restarts: Vec<Timestamp>,
    pub max_restarts_per_hour: u32,
}

/// Delete the pod (the StatefulSet recreates it): recorded in status before it is done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restart {
    pub reason: RestartReason,
    pub why: String,
}

pub struct HealthPlan {
    pub conditions: Vec<CondSpec>,
    pub restart: Option<Restart>,
    pub requeue: Option<Duration>,
}

/// What the guard says about a restart for `why` now: the note for the condition message, the
/// restart if allowed, and when to look again if not.
fn guarded(
    f: &HealthFacts,
    reason: RestartReason,
    why: &str,
    now: Timestamp,
) -> (String, Option<Restart>, Option<Duration>) {
    match decide(now, &f.recent_restarts, f.max_restarts_per_hour) {
        RestartStep::Restart => {
            let r = Restart {
                reason,
                why: why.to_string(),
            };
            ("pod restarted".into(), Some(r), None)
        }
        RestartStep::Backoff { until: t } => (
            format!("next restart not before {t}"),
            None,
            Some(until(now, t)),
        ),
        RestartStep::HourlyCapReached => (
            format!("maxRestartsPerHour ({}) reached", f.max_restarts_per_hour),
            None,
            Some(Duration::from_secs(300)),
        ),
    }
}

fn noted(c: CondSpec, note: &str) -> CondSpec {
    let message = format!("{}; {note}", c.message);
    CondSpec { message, ..c }
}

pub fn plan(f: &HealthFacts, has_pod: bool, now: Timestamp) -> HealthPlan {
    let mut p = HealthPlan {
        conditions: Vec::new(),
        restart: None,
        requeue: None,
    };
    if let Some(w) = f.weights {
        let fresh = |status, reason, message: String| {
            CondSpec::new(types::WEIGHTS_FRESH, status, reason, message)
        };
        if !weights_stale(w.age_blocks, w.max_age_blocks) {
            let msg = format!(
                "weights set {} blocks ago (limit {})",
                w.age_blocks, w.max_age_blocks
            );
            p.conditions.push(fresh(true, "WeightsFresh", msg));
        } else {
            let stale = format!(
                "weights set {} blocks ago, more than maxWeightAgeBlocks {}",
                w.age_blocks, w.max_age_blocks
            );
            let c = fresh(false, "WeightsStale", stale.clone());
            if !has_pod {
                p.conditions.push(noted(c, "no pod to restart"));
            } else {
                let (note, restart, requeue) = guarded(f, RestartReason::WeightsStale, &stale, now);
                p.conditions.push(noted(c, &note));
                p.restart = restart;
                p.requeue = requeue;
            }
        }
    }
    match &f.gpu {
        None => p.conditions.extend(f.gpu_before.clone()),
        Some(v) => match (v.condition(), v.restart()) {
            // One restart per reconcile: a pod already restarted for its weights moves anyway.
            (Some(c), Some(reason)) if p.restart.is_none() => {
                let (note, restart, requeue) = guarded(f, reason, &c.message, now);
                p.conditions.push(noted(c, &note));
                p.restart = restart;
                p.requeue = super::sooner(p.requeue, requeue);
            }
            (c, _) => p.conditions.extend(c),
        },
    }
    p
}
