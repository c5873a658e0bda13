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

/// The one place where endpoint URLs become chain clients: `fake+http://` → the remote fake
/// chain (only in builds with the `fake-chain` feature); ws/wss → the subxt client, connected
/// lazily and failing over along the list. The first endpoint decides the kind.
pub fn connect_endpoints(endpoints: &[String]) -> anyhow::Result<Arc<dyn Chain>> {
    let Some(first) = endpoints.first() else {
        anyhow::bail!("no chain endpoint configured");
    };
    match endpoint_kind(first) {
        EndpointKind::Fake => connect_fake(first),
        EndpointKind::Substrate => {
            let opts = super::client::ConnectOptions::default();
            Ok(Arc::new(super::client::SubxtChain::new(
                endpoints.to_vec(),
                opts,
            )?))
        }
        EndpointKind::Unknown => {
            anyhow::bail!(
                "unsupported chain endpoint {first:?}: expected ws://, wss:// or fake+http://"
            )
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum EndpointKind {
    Fake,
    Substrate,
    Unknown,
}

fn endpoint_kind(url: &str) -> EndpointKind {
    if url.starts_with("fake+http://") {
        EndpointKind::Fake
    } else if url.starts_with("ws://") || url.starts_with("wss://") {
        EndpointKind::Substrate
    } else {
        EndpointKind::Unknown
    }
}

#[cfg(feature = "fake-chain")]
fn connect_fake(url: &str) -> anyhow::Result<Arc<dyn Chain>> {
    Ok(Arc::new(super::remote::RemoteFakeChain::new(url)?))
}

#[cfg(not(feature = "fake-chain"))]
fn connect_fake(url: &str) -> anyhow::Result<Arc<dyn Chain>> {
    anyhow::bail!(
        "endpoint {url}: fake+http:// endpoints need a build with the fake-chain feature (tests only)"
    )
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
    /// Parameters (but the burn), reachability or existence changed (or the first answer).
    pub subnet: bool,
    /// Only the burn moved (it does every block on current runtimes): of interest to Neurons
    /// that may register, not to every Neuron.
    pub burn: bool,
    /// Hotkeys registered, deregistered, or whose figures or own stake changed.
    pub hotkeys: BTreeSet<AccountId>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        !self.subnet && !self.burn && self.hotkeys.is_empty()
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
        let old = state.snapshot.as_deref();
        let mut change = Change {
            subnet: !state.reachable
                || state.subnet_missing
                || state.endpoint.as_deref() != Some(endpoint.as_str())
                || old.is_none_or(|o| !o.params.same_but_burn(&snap.params)),
            burn: old.is_some_and(|o| o.params.burn != snap.params.burn),
            hotkeys: BTreeSet::new(),
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
            burn: false,
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
            burn: false,
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
