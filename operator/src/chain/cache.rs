//! The latest chain view per Subnet, written by the pollers and read by the reconcilers (which
//! never call the chain themselves). It never goes backwards: a snapshot from a block lower than
//! one already recorded for the Subnet, from whichever endpoint, is discarded.

use super::pool::{EndpointReport, EndpointState};
pub use super::SubnetKey;
use super::{AccountId, SubnetSnapshot};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

/// What the poller last saw for one Subnet.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubnetChainState {
    pub netuid: u16,
    /// The latest successful snapshot (kept while the chain is unreachable).
    pub snapshot: Option<Arc<SubnetSnapshot>>,
    /// The endpoint that served the last answer recorded.
    pub endpoint: Option<String>,
    /// The last poll succeeded (or found the subnet missing, which is also an answer).
    pub reachable: bool,
    /// The last poll said the netuid does not exist.
    pub subnet_missing: bool,
    /// Error of the last failed poll, if the last poll failed.
    pub last_error: Option<String>,
    pub polled_at: Option<jiff::Timestamp>,
    /// The highest block of any snapshot recorded: kept through errors and "subnet missing"
    /// answers, so an older view is refused whatever came in between.
    pub seen_block: Option<u64>,
    /// Each endpoint of the Subnet's pool as the last poll left it.
    pub endpoints: Vec<EndpointReport>,
    /// Endpoints whose older snapshots were discarded and logged, until one of theirs is
    /// recorded again (so the log says it once per endpoint and episode).
    pub stale_logged: BTreeSet<String>,
    /// Each queried uid's weights row: its digest and the first block it was seen with it
    /// (under commit-reveal, the block a reveal last landed by; the first sight counts as a
    /// change, so nothing is judged on what happened before the operator looked).
    pub weights_since: BTreeMap<u16, (u64, u64)>,
}

/// What a poll changed, for deciding whom to reconcile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// Parameters (but the burn), reachability or existence changed (or the first answer).
    pub subnet: bool,
    /// Only the burn moved (it does every block on current runtimes): of interest to Neurons
    /// that may register, not to every Neuron.
    pub burn: bool,
    /// Hotkeys registered, deregistered, or whose figures or own stake changed.
    pub hotkeys: BTreeSet<AccountId>,
    /// An endpoint of the pool changed state (Healthy, Lagging, RateLimited...): of interest
    /// to the Subnet's status, not to its Neurons.
    pub endpoints: bool,
    /// The view moved from the first block to the second (later) one: Neurons with a deadline
    /// in between (weights turning stale, immunity ending) are due a look, their own figures
    /// unchanged.
    pub span: Option<(u64, u64)>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        !self.subnet
            && !self.burn
            && self.hotkeys.is_empty()
            && !self.endpoints
            && self.span.is_none()
    }
}

/// A snapshot refused because the Subnet's view is already at a later block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stale {
    pub block: u64,
    pub seen: u64,
}

#[derive(Default)]
pub struct ChainCache {
    inner: RwLock<HashMap<SubnetKey, SubnetChainState>>,
}

impl ChainCache {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, key: &SubnetKey) -> Option<SubnetChainState> {
        self.inner
            .read()
            .expect("chain cache lock")
            .get(key)
            .cloned()
    }

    pub fn remove(&self, key: &SubnetKey) {
        self.inner.write().expect("chain cache lock").remove(key);
    }

    /// Stores a successful snapshot and returns what changed since the previous one; a
    /// snapshot from a block lower than one already recorded is discarded (`Err`), leaving
    /// the view as it was, and logged once per endpoint until that endpoint catches up.
    pub fn record_snapshot(
        &self,
        key: &SubnetKey,
        endpoint: String,
        snap: SubnetSnapshot,
        now: jiff::Timestamp,
    ) -> Result<Change, Stale> {
        let mut map = self.inner.write().expect("chain cache lock");
        let state = map.entry(key.clone()).or_default();
        if let Some(seen) = state.seen_block.filter(|seen| snap.block < *seen) {
            if state.stale_logged.insert(endpoint.clone()) {
                tracing::warn!(subnet = %key, %endpoint, block = snap.block, seen,
                    "discarding a snapshot older than the chain view already seen (this endpoint is behind)");
            }
            return Err(Stale {
                block: snap.block,
                seen,
            });
        }
        state.stale_logged.remove(&endpoint);
        let old = state.snapshot.as_deref();
        let mut change = Change {
            subnet: !state.reachable
                || state.subnet_missing
                || state.endpoint.as_deref() != Some(endpoint.as_str())
                || old.is_none_or(|o| !o.params.same_but_burn(&snap.params)),
            burn: old.is_some_and(|o| o.params.burn != snap.params.burn),
            span: old
                .map(|o| (o.block, snap.block))
                .filter(|(from, to)| to > from),
            ..Change::default()
        };
        for n in &snap.neurons {
            if old.and_then(|o| o.neuron_by_hotkey(&n.hotkey)) != Some(n) {
                change.hotkeys.insert(n.hotkey);
            }
        }
        for n in old.map(|o| o.neurons.as_slice()).unwrap_or_default() {
            if snap.neuron_by_hotkey(&n.hotkey).is_none() {
                change.hotkeys.insert(n.hotkey);
            }
        }
        for s in &snap.stakes {
            if old.and_then(|o| o.own_stake(&s.hotkey, &s.coldkey)) != Some(s.alpha) {
                change.hotkeys.insert(s.hotkey);
            }
        }
        for w in &snap.weights {
            let before = state.weights_since.get(&w.uid).map(|(d, _)| *d);
            if before != Some(w.digest) {
                state.weights_since.insert(w.uid, (w.digest, snap.block));
                // A reveal landed: its validator's staleness deadline moved.
                if let Some(n) = snap.neurons.iter().find(|n| n.uid == w.uid) {
                    change.hotkeys.insert(n.hotkey);
                }
            }
        }
        state
            .weights_since
            .retain(|uid, _| snap.weights.iter().any(|w| w.uid == *uid));
        state.netuid = snap.netuid;
        state.seen_block = Some(snap.block);
        state.snapshot = Some(Arc::new(snap));
        state.answered(endpoint, now);
        Ok(change)
    }

    /// Records that the chain answered that the netuid does not exist.
    pub fn record_missing(
        &self,
        key: &SubnetKey,
        netuid: u16,
        endpoint: String,
        now: jiff::Timestamp,
    ) -> Change {
        let mut map = self.inner.write().expect("chain cache lock");
        let state = map.entry(key.clone()).or_default();
        let change = Change {
            subnet: !state.subnet_missing || !state.reachable,
            hotkeys: state
                .snapshot
                .iter()
                .flat_map(|s| s.neurons.iter().map(|n| n.hotkey))
                .collect(),
            ..Change::default()
        };
        state.netuid = netuid;
        state.snapshot = None;
        state.answered(endpoint, now);
        state.subnet_missing = true;
        change
    }

    /// Records a failed poll; the last snapshot is kept as the last known state.
    pub fn record_error(
        &self,
        key: &SubnetKey,
        netuid: u16,
        error: String,
        now: jiff::Timestamp,
    ) -> Change {
        let mut map = self.inner.write().expect("chain cache lock");
        let state = map.entry(key.clone()).or_default();
        let change = Change {
            // Only a flip matters: error texts vary between polls and must not cause status writes.
            subnet: state.reachable || state.polled_at.is_none(),
            ..Change::default()
        };
        state.netuid = netuid;
        state.reachable = false;
        state.last_error = Some(error);
        state.polled_at = Some(now);
        change
    }

    /// Stores the pool's endpoint reports; true when an endpoint's state changed (figures such
    /// as its head or latency move every poll and are not a change).
    pub fn record_endpoints(&self, key: &SubnetKey, endpoints: Vec<EndpointReport>) -> bool {
        let mut map = self.inner.write().expect("chain cache lock");
        let state = map.entry(key.clone()).or_default();
        let states = |e: &[EndpointReport]| -> Vec<(String, EndpointState)> {
            e.iter().map(|r| (r.url.clone(), r.state)).collect()
        };
        let changed = states(&state.endpoints) != states(&endpoints);
        state.endpoints = endpoints;
        changed
    }
}

impl SubnetChainState {
    /// The chain answered through `endpoint`.
    fn answered(&mut self, endpoint: String, now: jiff::Timestamp) {
        self.endpoint = Some(endpoint);
        self.reachable = true;
        self.subnet_missing = false;
        self.last_error = None;
        self.polled_at = Some(now);
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
pub(crate) mod tests;
