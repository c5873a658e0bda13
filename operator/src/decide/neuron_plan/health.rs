//! Health in the plan: `WeightsFresh` (validators, with `maxWeightAgeBlocks` or the limit
//! derived from the subnet), `GpuUnhealthy` (the node agent's verdict), and whether to restart
//! the pod for either — one restart at a time, under the shared backoff and
//! `maxRestartsPerHour` (`decide::restart`), a validator's GPU restart timed to follow its
//! weights (see [`RestartWindow`]).

use super::until;
use crate::api::{types, CondSpec};
use crate::decide::gpu::GpuVerdict;
use crate::decide::restart::{decide, RestartReason, RestartStep};
pub use crate::decide::weights::WeightAge;
use crate::decide::weights::{verdict, Verdict};
use jiff::Timestamp;
use std::time::Duration;

/// A validator's restart for anything but its weights waits for the blocks right after it set
/// them: a restart then costs no weight set (it could not set again before `blocks`, the
/// weights rate limit, anyway); a restart just before its next set would cost an epoch's
/// weights. It waits at most `bound` from when the trouble was first shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartWindow {
    /// Blocks since the validator's last weight set (or commit).
    pub age_blocks: u64,
    /// How long after a set the window stays open.
    pub blocks: u64,
    /// When the trouble was first shown (its condition's transition time).
    pub since: Timestamp,
    pub bound: Duration,
}

#[derive(Clone, Debug, Default)]
pub struct HealthFacts {
    pub weights: Option<WeightAge>,
    /// Validators with a known last weight set; None restarts at once.
    pub window: Option<RestartWindow>,
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
            if let Some(wait) = f.window.and_then(|w| must_wait(&w, reason, now)) {
                return wait;
            }
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

/// The deferral of a restart outside the validator's window: the note and when to look again
/// (its next weight set also wakes it, as a change of its own figures).
fn must_wait(
    w: &RestartWindow,
    reason: RestartReason,
    now: Timestamp,
) -> Option<(String, Option<Restart>, Option<Duration>)> {
    let weights = [RestartReason::WeightsStale, RestartReason::RevealsMissing];
    if weights.contains(&reason) || w.age_blocks <= w.blocks {
        return None;
    }
    let deadline = w.since + w.bound;
    if now >= deadline {
        return None;
    }
    let note = format!(
        "restart waits for the validator's next weight set (window: {} blocks after a \
         set), at the latest until {deadline}",
        w.blocks
    );
    Some((note, None, Some(until(now, deadline))))
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
        match verdict(&w) {
            Verdict::Fresh(msg) => p.conditions.push(fresh(true, "WeightsFresh", msg)),
            Verdict::Stale { reason, message } => {
                let c = fresh(false, reason.as_str(), message.clone());
                if !has_pod {
                    p.conditions.push(noted(c, "no pod to restart"));
                } else {
                    let (note, restart, requeue) = guarded(f, reason, &message, now);
                    p.conditions.push(noted(c, &note));
                    p.restart = restart;
                    p.requeue = requeue;
                }
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
