//! A Neuron's chain view: its Subnet's entry in the poller cache (the reconcilers never call the
//! chain themselves).
//!
//! Benchmark baseline only (`tests/bench/`), not a user option: with
//! `TF_BENCH_CHAIN_READS=per-neuron` in a `fake-chain` build, every Neuron reconcile instead reads
//! its Subnet from the chain itself and requeues every poll interval, as an operator without the
//! shared poller would have to; the benchmark measures the poller against that. Builds without
//! `fake-chain` (shipped ones) never do.

use super::context::Context;
use crate::api::Subnet;
use crate::chain::cache::SubnetChainState;
use crate::chain::SubnetKey;
use kube::ResourceExt;
use std::sync::Arc;
use std::time::Duration;

/// The Subnet's chain view for a Neuron reconcile (None without a Subnet or before any poll).
pub async fn of(ctx: &Context, ns: &str, subnet: Option<&Subnet>) -> Option<SubnetChainState> {
    let subnet = subnet?;
    let key = SubnetKey {
        namespace: ns.to_string(),
        name: subnet.name_any(),
    };
    let cached = ctx.cache.get(&key);
    if !per_neuron() {
        return cached;
    }
    // Baseline: a read of our own over the poller's connection; the cached view when it fails.
    let Some(client) = ctx.pollers.client(&key) else {
        return cached;
    };
    let query = ctx.pollers.interest.query(&key);
    match client.snapshot(subnet.spec.netuid, &query).await {
        Ok(snap) => Some(SubnetChainState {
            netuid: subnet.spec.netuid,
            snapshot: Some(Arc::new(snap)),
            endpoint: Some(client.endpoint()),
            reachable: true,
            subnet_missing: false,
            last_error: None,
            polled_at: Some(jiff::Timestamp::now()),
            ..cached.unwrap_or_default()
        }),
        Err(_) => cached,
    }
}

/// The requeue; in the baseline at most the poll interval (nothing else shows chain changes).
pub fn requeue(wait: Duration, subnet: Option<&Subnet>) -> Duration {
    match subnet.filter(|_| per_neuron()) {
        Some(s) => wait.min(Duration::from_secs(s.spec.poll_interval_seconds.into())),
        None => wait,
    }
}

/// Whether the per-Neuron chain-read baseline is on (read once per process).
#[cfg(feature = "fake-chain")]
fn per_neuron() -> bool {
    static ON: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
        std::env::var("TF_BENCH_CHAIN_READS").is_ok_and(|v| v == "per-neuron")
    });
    *ON
}

#[cfg(not(feature = "fake-chain"))]
fn per_neuron() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use crate::api::Subnet;

    #[test]
    fn the_baseline_is_off_unless_asked() {
        // The test process never sets TF_BENCH_CHAIN_READS: the shipped path is unchanged.
        assert!(!super::per_neuron());
        let subnet: Subnet = serde_json::from_value(serde_json::json!({
            "apiVersion": "tensorfleet.io/v1alpha1", "kind": "Subnet",
            "metadata": {"name": "sn", "namespace": "a"},
            "spec": {"netuid": 1, "pollIntervalSeconds": 2, "registration": {"maxBurnTao": "1"}}
        }))
        .unwrap();
        let wait = std::time::Duration::from_secs(300);
        assert_eq!(super::requeue(wait, Some(&subnet)), wait);
    }
}
