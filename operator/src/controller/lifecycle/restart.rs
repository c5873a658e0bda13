//! Health-driven pod restarts: a validator whose weights are older than `maxWeightAgeBlocks`
//! gets its pod deleted (the StatefulSet recreates it), with exponential backoff and at most
//! `maxRestartsPerHour`, recorded in `status.operatorRestarts`, an Event and a metric.
//! `restart_pod` is the shared path for any reason (e.g. an unhealthy GPU).

use super::metrics::RestartLabels;
use super::target::{without, Target};
use super::{publish, write_status, StepOutcome};
use crate::api::{types, CondSpec, NeuronStatus, OperatorRestarts, Role};
use crate::controller::error::Result;
use crate::decide::restart::{decide, weights_stale, RestartReason, RestartStep};
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Pod;
use kube::api::DeleteParams;
use kube::runtime::events::EventType;
use kube::{Api, ResourceExt};
use std::time::Duration;

fn fresh(status: bool, reason: &str, message: impl Into<String>) -> StepOutcome {
    let c = CondSpec::new(types::WEIGHTS_FRESH, status, reason, message);
    StepOutcome {
        conditions: vec![(types::WEIGHTS_FRESH, Some(c))],
        requeue: None,
    }
}

/// Restart times within the last hour, from status.
pub fn recent_restarts(r: Option<&OperatorRestarts>, now: Timestamp) -> Vec<Timestamp> {
    let hour_ago = now - SignedDuration::from_hours(1);
    r.map(|r| {
        r.recent
            .iter()
            .filter_map(|t| t.parse().ok())
            .filter(|t| *t > hour_ago)
            .collect()
    })
    .unwrap_or_default()
}

pub async fn step(t: &Target<'_>, status: &mut NeuronStatus) -> Result<StepOutcome> {
    let health = &t.neuron.spec.health;
    if t.neuron.spec.role != Role::Validator || health.max_weight_age_blocks == 0 {
        return Ok(without(types::WEIGHTS_FRESH));
    }
    let snap = t.snapshot();
    let Some((block, info)) = snap.and_then(|s| Some((s.block, s.neuron_by_hotkey(&t.hotkey)?)))
    else {
        return Ok(without(types::WEIGHTS_FRESH));
    };
    let age = block.saturating_sub(info.last_update);
    if !weights_stale(age, health.max_weight_age_blocks) {
        return Ok(fresh(
            true,
            "WeightsFresh",
            format!(
                "weights set {age} blocks ago (limit {})",
                health.max_weight_age_blocks
            ),
        ));
    }
    let stale = format!(
        "weights set {age} blocks ago, more than maxWeightAgeBlocks {}",
        health.max_weight_age_blocks
    );
    if status.pod.is_none() {
        return Ok(fresh(
            false,
            "WeightsStale",
            format!("{stale}; no pod to restart"),
        ));
    }
    let (note, requeue) = guarded_restart(t, status, RestartReason::WeightsStale, &stale).await?;
    Ok(StepOutcome {
        requeue,
        ..fresh(false, "WeightsStale", format!("{stale}; {note}"))
    })
}

/// Restarts the pod for `reason` unless backoff or `maxRestartsPerHour` (shared by every
/// reason) holds it back. Returns a note for the condition message and when to look again.
pub async fn guarded_restart(
    t: &Target<'_>,
    status: &mut NeuronStatus,
    reason: RestartReason,
    why: &str,
) -> Result<(String, Option<Duration>)> {
    let now = Timestamp::now();
    let recent = recent_restarts(status.operator_restarts.as_ref(), now);
    let max = t.neuron.spec.health.max_restarts_per_hour;
    Ok(match decide(now, &recent, max) {
        RestartStep::Restart => {
            restart_pod(t, status, reason, why).await?;
            ("pod restarted".into(), None)
        }
        RestartStep::Backoff { until } => (
            format!("next restart not before {until}"),
            Some(
                now.duration_until(until)
                    .unsigned_abs()
                    .max(Duration::from_secs(1)),
            ),
        ),
        RestartStep::HourlyCapReached => (
            format!("maxRestartsPerHour ({max}) reached"),
            Some(Duration::from_secs(300)),
        ),
    })
}

/// Deletes the Neuron's pod, records the restart in status first, emits an Event and a metric.
pub async fn restart_pod(
    t: &Target<'_>,
    status: &mut NeuronStatus,
    reason: RestartReason,
    why: &str,
) -> Result<()> {
    let now = Timestamp::now();
    let mut recent: Vec<String> = recent_restarts(status.operator_restarts.as_ref(), now)
        .iter()
        .map(|t| t.to_string())
        .collect();
    recent.push(now.to_string());
    status.operator_restarts = Some(OperatorRestarts {
        count: status.operator_restarts.as_ref().map_or(0, |r| r.count) + 1,
        last_reason: Some(reason.as_str().into()),
        last_at: Some(now.to_string()),
        recent,
    });
    // Recorded before the delete: a crash in between can only under-restart, never loop.
    write_status(t, status).await?;
    let pod = format!("{}-0", t.neuron.name_any());
    let pods: Api<Pod> = Api::namespaced(t.ctx.client.clone(), &t.key.namespace);
    match pods.delete(&pod, &DeleteParams::default()).await {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 404 => {}
        Err(e) => return Err(e.into()),
    }
    t.ctx
        .metrics
        .lifecycle
        .operator_restarts
        .get_or_create(&RestartLabels {
            namespace: t.key.namespace.clone(),
            neuron: t.neuron.name_any(),
            reason: reason.as_str().into(),
        })
        .inc();
    tracing::info!(neuron = %t.neuron.name_any(), pod, reason = reason.as_str(), "pod restarted");
    publish(
        t.ctx,
        t.neuron,
        EventType::Warning,
        "PodRestarted",
        &format!("deleted pod {pod} ({}): {why}", reason.as_str()),
    )
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_keeps_the_last_hour() {
        let now: Timestamp = "2026-11-22T12:00:00Z".parse().unwrap();
        let r = OperatorRestarts {
            recent: vec![
                "2026-11-22T10:59:00Z".into(),
                "2026-11-22T11:30:00Z".into(),
                "bad".into(),
            ],
            ..Default::default()
        };
        assert_eq!(
            recent_restarts(Some(&r), now),
            vec!["2026-11-22T11:30:00Z".parse::<Timestamp>().unwrap()]
        );
        assert!(recent_restarts(None, now).is_empty());
    }
}
