//! What every reconcile gets: the client, the chain view, Events, metrics, shared stores.

use super::metrics::Metrics;
use super::nodes::AgentNodes;
use super::wallet::ColdkeyCache;
use crate::api::Neuron;
use crate::chain::poller::Pollers;
use crate::chain::ChainCache;
use kube::runtime::events::{Event, EventType, Recorder};
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
    pub coldkeys: ColdkeyCache,
    /// Nodes labelled by the GPU agent.
    pub nodes: AgentNodes,
    /// Neurons that do not decode (out of `neurons`): their hotkey claims still count.
    pub invalid_neurons: Arc<super::lenient::Registry>,
    /// Queues Neuron reconciles (e.g. when their Subnet appears or changes).
    pub neuron_trigger: tokio::sync::mpsc::UnboundedSender<ObjectRef<Neuron>>,
    /// Versions of our own Neuron status writes the store may not show yet.
    pub written: super::freshness::WrittenVersions,
    /// When each object's status was last written (by `ns/name`), for the block-counter refresh.
    status_writes: Mutex<HashMap<String, jiff::Timestamp>>,
    /// Consecutive failures per object, for exponential backoff.
    failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    pub fn new(
        client: Client,
        cache: Arc<ChainCache>,
        pollers: Arc<Pollers>,
        recorder: Recorder,
        metrics: Arc<Metrics>,
        neurons: Store<Neuron>,
        neuron_trigger: tokio::sync::mpsc::UnboundedSender<ObjectRef<Neuron>>,
    ) -> Self {
        Self {
            client,
            cache,
            pollers,
            recorder,
            metrics,
            neurons,
            coldkeys: ColdkeyCache::default(),
            nodes: AgentNodes::none(),
            invalid_neurons: Arc::default(),
            neuron_trigger,
            written: Default::default(),
            status_writes: Mutex::default(),
            failures: Mutex::default(),
        }
    }

    /// The agent-labelled Nodes (without it, no Node is known to carry agent labels).
    pub fn with_nodes(mut self, nodes: AgentNodes) -> Self {
        self.nodes = nodes;
        self
    }

    /// The registry the Neuron watch fills with Neurons that do not decode.
    pub fn with_invalid_neurons(mut self, registry: Arc<super::lenient::Registry>) -> Self {
        self.invalid_neurons = registry;
        self
    }

    pub fn last_status_write(&self, key: &str) -> Option<String> {
        self.status_writes
            .lock()
            .expect("status lock")
            .get(key)
            .map(|t| t.to_string())
    }

    pub fn record_status_write(&self, key: &str, at: jiff::Timestamp) {
        self.status_writes
            .lock()
            .expect("status lock")
            .insert(key.into(), at);
    }

    /// Publishes a Warning Event on `obj`; failures are logged, never fatal.
    pub async fn warn<K: Resource<DynamicType = ()>>(&self, obj: &K, reason: &str, note: &str) {
        let ev = Event {
            type_: EventType::Warning,
            reason: reason.into(),
            note: Some(note.chars().take(1000).collect()),
            action: "Reconcile".into(),
            secondary: None,
        };
        if let Err(e) = self.recorder.publish(&ev, &obj.object_ref(&())).await {
            tracing::warn!(error = %e, reason, "could not publish Event");
        }
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
