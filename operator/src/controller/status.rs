//! Turning observations into status fields, and deciding whether a status write is needed.

use crate::api::{
    format_tao, merge_conditions, AxonEndpoint, CondSpec, Condition, EndpointHealth,
    EndpointStatus, NeuronChainStatus, NeuronStatus, PodStatusSummary, SubnetStatus,
};
use crate::chain::pool::{EndpointReport, EndpointState};
use crate::chain::{NeuronInfo, Pool};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;

/// How long block-only changes (`block`, `lastPolledAt`, `blocksSinceLastUpdate`) may go
/// unwritten: they move every block, and writing them alone would cost a write per poll.
pub const BLOCK_REFRESH: std::time::Duration = std::time::Duration::from_secs(300);

/// The hotkey's figures in status; `own` is the coldkey's own alpha on it, valued with `pool`.
pub fn chain_status(
    info: &NeuronInfo,
    block: u64,
    own: u64,
    pool: Option<&Pool>,
) -> NeuronChainStatus {
    let value = |alpha| {
        pool.map(|p| format_tao(p.tao_value(alpha)))
            .unwrap_or_default()
    };
    NeuronChainStatus {
        block,
        stake_rao: info.stake,
        stake_tao: value(info.stake),
        own_stake_rao: own,
        own_stake_tao: value(own),
        alpha_price: pool.map(|p| format_tao(p.price_rao)),
        rank: info.rank,
        trust: info.trust,
        consensus: info.consensus,
        incentive: info.incentive,
        dividends: info.dividends,
        emission_rao: info.emission,
        validator_permit: info.validator_permit,
        active: info.active,
        last_update: info.last_update,
        blocks_since_last_update: block.saturating_sub(info.last_update),
        axon: info.axon.as_ref().map(|a| AxonEndpoint {
            ip: a.ip.to_string(),
            port: a.port,
        }),
    }
}

/// An endpoint of the Subnet's pool in status.
pub fn endpoint_status(r: &EndpointReport) -> EndpointStatus {
    EndpointStatus {
        url: r.url.clone(),
        state: match r.state {
            EndpointState::Unknown => EndpointHealth::Unknown,
            EndpointState::Healthy => EndpointHealth::Healthy,
            EndpointState::Lagging => EndpointHealth::Lagging,
            EndpointState::RateLimited => EndpointHealth::RateLimited,
            EndpointState::Unreachable => EndpointHealth::Unreachable,
            EndpointState::Failing => EndpointHealth::Failing,
        },
        head_block: r.head,
        latency_ms: r.latency_ms,
        last_error: r.last_error.clone(),
        last_transition_time: Some(r.since.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
    }
}

pub fn pod_summary(pod: &Pod) -> PodStatusSummary {
    let status = pod.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let restarts = status
        .and_then(|s| s.container_statuses.as_ref())
        .map(|cs| cs.iter().map(|c| c.restart_count).sum())
        .unwrap_or(0);
    PodStatusSummary {
        name: pod.name_any(),
        ready,
        restarts,
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        gpu_model: None,
        gpu_count: None,
    }
}

/// The plan's conditions merged with the previous list, keeping transition times; conditions of
/// types the plan does not own (`PLANNED_CONDITIONS`) are carried over after ours.
pub fn neuron_conditions(
    old: &[Condition],
    ours: &[CondSpec],
    generation: Option<i64>,
    now: &Time,
) -> Vec<Condition> {
    let mut merged = merge_conditions(old, ours, generation, now);
    merged.extend(
        old.iter()
            .filter(|c| !crate::decide::neuron_plan::PLANNED_CONDITIONS.contains(&c.type_.as_str()))
            .cloned(),
    );
    merged
}

fn older_than(at: Option<&str>, now: jiff::Timestamp, age: std::time::Duration) -> bool {
    at.and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .is_none_or(|t| now.duration_since(t).unsigned_abs() >= age)
}

/// Whether `new` differs from `old` in anything but the per-block counters, or those are stale.
pub fn neuron_status_changed(
    old: Option<&NeuronStatus>,
    new: &NeuronStatus,
    last_written: Option<&str>,
    now: jiff::Timestamp,
) -> bool {
    let Some(old) = old else { return true };
    let strip = |s: &NeuronStatus| {
        let mut s = s.clone();
        if let Some(c) = s.chain.as_mut() {
            c.block = 0;
            c.blocks_since_last_update = 0;
        }
        s
    };
    if strip(old) != strip(new) {
        return true;
    }
    old != new && older_than(last_written, now, BLOCK_REFRESH)
}

/// `s` without the figures that move every block on current runtimes (the burn decays per block
/// since spec 397, the price moves with every swap, each endpoint's head, latency and error
/// text): those are refreshed with the block, not written alone.
fn without_block_figures(s: &SubnetStatus) -> SubnetStatus {
    SubnetStatus {
        block: None,
        last_polled_at: None,
        burn_rao: None,
        burn_tao: None,
        alpha_price: None,
        endpoints: s
            .endpoints
            .iter()
            .map(|e| EndpointStatus {
                head_block: None,
                latency_ms: None,
                last_error: None,
                ..e.clone()
            })
            .collect(),
        ..s.clone()
    }
}

/// Whether `new` differs from `old` in anything but the per-block figures, or those are stale.
pub fn subnet_status_changed(
    old: Option<&SubnetStatus>,
    new: &SubnetStatus,
    now: jiff::Timestamp,
) -> bool {
    let Some(old) = old else { return true };
    // An endpoint's state is written when it changes; its head, latency and error text with the
    // block refresh.
    if without_block_figures(old) != without_block_figures(new) {
        return true;
    }
    old != new && older_than(old.last_polled_at.as_deref(), now, BLOCK_REFRESH)
}

/// Member counts and the 24 h spend move with every Neuron of a fleet that converges (a thousand
/// writes for a thousand Neurons); alone they are written at most once per `TALLY_COALESCE`.
pub const TALLY_COALESCE: std::time::Duration = std::time::Duration::from_secs(2);

/// How long to hold a Subnet status write back: `Some(wait)` when only the tallies differ from
/// what is stored and the last write was less than `TALLY_COALESCE` ago; the requeue writes the
/// figures of its time. Anything else is written at once.
pub fn tally_wait(
    old: Option<&SubnetStatus>,
    new: &SubnetStatus,
    last_written: Option<jiff::Timestamp>,
    now: jiff::Timestamp,
) -> Option<std::time::Duration> {
    let old = old?;
    let untallied = |s: &SubnetStatus| SubnetStatus {
        neurons: None,
        spent_rao_last24h: None,
        ..without_block_figures(s)
    };
    if untallied(old) != untallied(new) {
        return None;
    }
    let since = now.duration_since(last_written?).unsigned_abs();
    TALLY_COALESCE.checked_sub(since).filter(|w| !w.is_zero())
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
