//! The latest chain view per Subnet, written by the pollers and read by the reconcilers (which
//! never call the chain themselves), plus the connector that turns endpoints into a [`Chain`].

use super::{AccountId, Chain, SubnetSnapshot};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

/// Creates chain clients; injected so tests use an in-process fake.
pub trait ChainConnector: Send + Sync {
    fn connect(&self, endpoints: &[String]) -> anyhow::Result<Arc<dyn Chain>>;
}

/// The shipped connector, delegating to [`connect_endpoints`].
pub struct EndpointConnector;

impl ChainConnector for EndpointConnector {
    fn connect(&self, endpoints: &[String]) -> anyhow::Result<Arc<dyn Chain>> {
        connect_endpoints(endpoints)
    }
}

/// The one place where endpoint URLs become chain clients: ws/wss → the subxt client (which
/// fails over along the list); `fake+http://` → the remote fake, only in builds with the
/// `fake-chain` feature (end-to-end tests); anything else is an error naming the URL.
pub fn connect_endpoints(endpoints: &[String]) -> anyhow::Result<Arc<dyn Chain>> {
    let first = endpoints.first().map(String::as_str).unwrap_or("<none>");
    #[cfg(feature = "fake-chain")]
    if first.starts_with("fake+http://") {
        return Ok(Arc::new(super::remote::RemoteFakeChain::new(first)?));
    }
    if !endpoints.is_empty()
        && endpoints
            .iter()
            .all(|e| e.starts_with("ws://") || e.starts_with("wss://"))
    {
        let opts = super::client::ConnectOptions::default();
        return Ok(Arc::new(super::client::SubxtChain::new(
            endpoints.to_vec(),
            opts,
        )?));
    }
    anyhow::bail!("no chain client for {first}: endpoints must be ws:// or wss:// URLs")
}

/// Namespace and name of a Subnet (the chain side knows no Kubernetes types).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubnetKey {
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for SubnetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// What the poller last saw for one Subnet.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubnetChainState {
    pub netuid: u16,
    /// The latest successful snapshot (kept while the chain is unreachable).
    pub snapshot: Option<Arc<SubnetSnapshot>>,
    pub endpoint: Option<String>,
    /// The last poll succeeded (or found the subnet missing, which is also an answer).
    pub reachable: bool,
    /// The last poll said the netuid does not exist.
    pub subnet_missing: bool,
    /// Error of the last failed poll, if the last poll failed.
    pub last_error: Option<String>,
    pub polled_at: Option<jiff::Timestamp>,
}

/// What a poll changed, for deciding whom to reconcile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// Parameters, reachability or existence changed (or the first answer arrived).
    pub subnet: bool,
    /// Hotkeys registered, deregistered, or whose figures changed.
    pub hotkeys: BTreeSet<AccountId>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        !self.subnet && self.hotkeys.is_empty()
    }
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

    /// Stores a successful snapshot and returns what changed since the previous one.
    pub fn record_snapshot(
        &self,
        key: &SubnetKey,
        endpoint: String,
        snap: SubnetSnapshot,
        now: jiff::Timestamp,
    ) -> Change {
        let mut map = self.inner.write().expect("chain cache lock");
        let state = map.entry(key.clone()).or_default();
        let mut change = Change {
            subnet: !state.reachable
                || state.subnet_missing
                || state.endpoint.as_deref() != Some(endpoint.as_str())
                || state
                    .snapshot
                    .as_ref()
                    .is_none_or(|old| old.params != snap.params),
            hotkeys: BTreeSet::new(),
        };
        let old = state.snapshot.as_deref();
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
        *state = SubnetChainState {
            netuid: snap.netuid,
            snapshot: Some(Arc::new(snap)),
            endpoint: Some(endpoint),
            reachable: true,
            subnet_missing: false,
            last_error: None,
            polled_at: Some(now),
        };
        change
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
        };
        *state = SubnetChainState {
            netuid,
            endpoint: Some(endpoint),
            reachable: true,
            subnet_missing: true,
            polled_at: Some(now),
            ..Default::default()
        };
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
            hotkeys: BTreeSet::new(),
        };
        state.netuid = netuid;
        state.reachable = false;
        state.last_error = Some(error);
        state.polled_at = Some(now);
        change
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
pub(crate) mod tests;
