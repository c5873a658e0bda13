//! What every reconcile gets: the client, the chain view, Events, metrics, shared stores.

use super::metrics::Metrics;
use super::node_addresses::NodeAddresses;
use super::nodes::AgentNodes;
use super::secrets::Secrets;
use super::spending::Executor;
use super::stores::Stores;
use crate::api::{Neuron, NeuronSet};
use crate::chain::poller::Pollers;
use crate::chain::ChainCache;
use kube::runtime::events::{EventType, Recorder};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Client, Resource};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Context {
    pub client: Client,
    pub cache: Arc<ChainCache>,
    pub pollers: Arc<Pollers>,
    pub recorder: Recorder,
    pub metrics: Arc<Metrics>,
    /// All Neurons the operator sees (for HotkeyConflict and Subnet member counts).
    pub neurons: Store<Neuron>,
    pub sets: Store<NeuronSet>,
    /// Subnets and the Neurons' children, as watched.
    pub stores: Stores,
    pub secrets: Arc<Secrets>,
    /// Every chain action runs here (and the ledger is read through it).
    pub executor: Arc<Executor>,
    pub node_addresses: NodeAddresses,
    /// Nodes labelled by the GPU agent.
    pub nodes: AgentNodes,
    /// Neurons that do not decode (out of `neurons`): their hotkey claims still count.
    pub invalid_neurons: Arc<super::lenient::Registry>,
    /// Subnets that do not decode: a Neuron of one is told why, not "not found".
    pub invalid_subnets: Arc<super::lenient::Registry>,
    /// Queues Neuron reconciles (e.g. when their Subnet appears or changes).
    pub neuron_trigger: tokio::sync::mpsc::UnboundedSender<ObjectRef<Neuron>>,
    /// Versions of our own Neuron status writes the store may not show yet.
    pub written: super::freshness::WrittenVersions,
    /// When each object's status was last written (Neurons by `ns/name`, Subnets by
    /// `Subnet/ns/name`), for the block-counter refresh and the tally coalescing.
    status_writes: Mutex<HashMap<String, jiff::Timestamp>>,
    /// Consecutive failures per object, for exponential backoff.
    failures: Mutex<HashMap<String, u32>>,
    /// Members deleted whose deletion the Neuron cache may not show yet.
    pub deletions: super::deletions::SentDeletions,
}

/// What a Context is made of.
pub struct Parts {
    pub client: Client,
    pub cache: Arc<ChainCache>,
    pub pollers: Arc<Pollers>,
    pub recorder: Recorder,
    pub metrics: Arc<Metrics>,
    pub neurons: Store<Neuron>,
    pub sets: Store<NeuronSet>,
    pub stores: Stores,
    pub secrets: Arc<Secrets>,
    pub executor: Arc<Executor>,
    pub neuron_trigger: tokio::sync::mpsc::UnboundedSender<ObjectRef<Neuron>>,
}

impl Context {
    pub fn new(p: Parts) -> Self {
        Self {
            client: p.client,
            cache: p.cache,
            pollers: p.pollers,
            recorder: p.recorder,
            metrics: p.metrics,
            neurons: p.neurons,
            sets: p.sets,
            stores: p.stores,
            secrets: p.secrets,
            executor: p.executor,
            node_addresses: NodeAddresses::default(),
            nodes: AgentNodes::none(),
            invalid_neurons: Arc::default(),
            invalid_subnets: Arc::default(),
            neuron_trigger: p.neuron_trigger,
            written: Default::default(),
            status_writes: Mutex::default(),
            failures: Mutex::default(),
            deletions: Default::default(),
        }
    }

    /// The agent-labelled Nodes (without it, no Node is known to carry agent labels).
    pub fn with_nodes(mut self, nodes: AgentNodes) -> Self {
        self.nodes = nodes;
        self
    }

    /// The registries the watches fill with Neurons and Subnets that do not decode.
    pub fn with_invalid(
        mut self,
        neurons: Arc<super::lenient::Registry>,
        subnets: Arc<super::lenient::Registry>,
    ) -> Self {
        self.invalid_neurons = neurons;
        self.invalid_subnets = subnets;
        self
    }

    /// Every watch cache a reconcile reads has listed once, and so has the ledger. Waits a
    /// moment at most, then the caller requeues: several of these watches are driven by the
    /// Neuron controller itself, which stops pulling them while all its reconcile slots are busy,
    /// so reconciles waiting on them for good would never let them list (seen under chaos).
    pub async fn ready(&self) -> bool {
        let all = async {
            self.stores.ready().await
                && self.secrets.ready().await
                && self.executor.ledger().ready().await
                && self.neurons.wait_until_ready().await.is_ok()
                && self.sets.wait_until_ready().await.is_ok()
        };
        match tokio::time::timeout(READY_WAIT, all).await {
            Ok(ready) => ready,
            Err(_) => {
                tracing::debug!(waiting = ?self.not_ready(), "watch caches not listed yet");
                false
            }
        }
    }

    /// The caches that have not listed yet (for the log).
    fn not_ready(&self) -> Vec<&'static str> {
        use super::stores::listed;
        let s = &self.stores;
        [
            ("subnets", listed(&s.subnets)),
            ("statefulsets", listed(&s.statefulsets)),
            ("services", listed(&s.services)),
            ("pods", listed(&s.pods)),
            ("neurons", listed(&self.neurons)),
            ("neuronsets", listed(&self.sets)),
            ("secrets", self.secrets.listed()),
            ("spends", self.executor.ledger().listed()),
        ]
        .into_iter()
        .filter(|(_, ready)| !ready)
        .map(|(name, _)| name)
        .collect()
    }

    pub fn last_status_write(&self, key: &str) -> Option<String> {
        self.status_written_at(key).map(|t| t.to_string())
    }

    pub fn status_written_at(&self, key: &str) -> Option<jiff::Timestamp> {
        self.status_writes
            .lock()
            .expect("status lock")
            .get(key)
            .copied()
    }

    pub fn record_status_write(&self, key: &str, at: jiff::Timestamp) {
        self.status_writes
            .lock()
            .expect("status lock")
            .insert(key.into(), at);
    }

    /// Publishes a Warning Event on `obj` (through `events`, the one place Events go out).
    pub async fn warn<K: Resource<DynamicType = ()>>(&self, obj: &K, reason: &str, note: &str) {
        super::events::publish(&self.recorder, obj, EventType::Warning, reason, note).await
    }

    /// Backoff after the n-th consecutive failure: 5 s doubling to 5 min.
    pub fn backoff<K: Resource<DynamicType = ()>>(&self, obj: &ObjectRef<K>) -> Duration {
        let mut f = self.failures.lock().expect("failures lock");
        let n = f.entry(obj.to_string()).or_insert(0);
        *n = n.saturating_add(1);
        backoff_after(*n)
    }

    pub fn succeeded<K: Resource<DynamicType = ()>>(&self, obj: &ObjectRef<K>) {
        self.failures
            .lock()
            .expect("failures lock")
            .remove(&obj.to_string());
    }
}

/// How long a reconcile waits for the watch caches' first lists before it requeues.
const READY_WAIT: Duration = Duration::from_secs(2);

/// 5 s doubling to 60 s. Reconcile errors are API errors (spending has its own guards), and once
/// the API recovers nothing else may trigger the object: a longer wait leaves its status stale.
pub fn backoff_after(failures: u32) -> Duration {
    let secs = 5u64.saturating_mul(1u64 << failures.saturating_sub(1).min(10));
    Duration::from_secs(secs.min(60))
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_and_caps() {
        let cases = [
            (1, 5),
            (2, 10),
            (3, 20),
            (4, 40),
            (5, 60),
            (7, 60),
            (40, 60),
        ];
        for (n, secs) in cases {
            assert_eq!(super::backoff_after(n).as_secs(), secs, "failure {n}");
        }
    }
}
