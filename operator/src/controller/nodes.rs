//! Nodes labelled by `tensorfleet agent` (docs/gpu-agent.md): a reflector of only those Nodes
//! (label `tensorfleet.io/gpu.count` exists) feeds the GPU checks of the Neuron reconcile without
//! an API call per reconcile, and a change of such a Node wakes the GPU Neurons scheduled on it.

use crate::api::{labels, Neuron};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Node;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client, ResourceExt};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// How long startup waits for the first Node list before reconciling without it.
const READY_WAIT: Duration = Duration::from_secs(10);

/// What the Neuron reconcile reads about agent-labelled Nodes.
#[derive(Clone)]
pub struct AgentNodes {
    store: Store<Node>,
}

impl AgentNodes {
    /// No Node known (until the reflector is attached).
    pub fn none() -> Self {
        Self {
            store: reflector::store::<Node>().0,
        }
    }

    /// Whether any Node carries agent labels (then GPU pods must land on a healthy one).
    pub fn any(&self) -> bool {
        !self.store.is_empty()
    }

    /// The labels and GPU annotation of `node`, when the agent labelled it.
    pub fn get(&self, node: &str) -> Option<(BTreeMap<String, String>, Option<String>)> {
        let n = self.store.get(&ObjectRef::new(node))?;
        let annotation = n.annotations().get(labels::GPU_ANNOTATION).cloned();
        Some((n.labels().clone(), annotation))
    }
}

/// Starts the Node reflector; each change of an agent Node wakes the Neurons [`on_node`] lists.
pub async fn start(
    client: Client,
    base: &watcher::Config,
    neurons: Store<Neuron>,
    wake: UnboundedSender<ObjectRef<Neuron>>,
) -> AgentNodes {
    let (store, writer) = reflector::store::<Node>();
    let cfg = base.clone().labels(labels::GPU_COUNT);
    let stream = reflector::reflector(writer, watcher(Api::<Node>::all(client), cfg))
        .default_backoff()
        .touched_objects();
    tokio::spawn(async move {
        futures::pin_mut!(stream);
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(node) => {
                    for r in on_node(&node.name_any(), &neurons.state()) {
                        let _ = wake.send(r);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "watching agent-labelled Nodes"),
            }
        }
    });
    if tokio::time::timeout(READY_WAIT, store.wait_until_ready())
        .await
        .is_err()
    {
        tracing::warn!(
            "no Node list yet: GPU pods are scheduled without the health affinity until it arrives"
        );
    }
    AgentNodes { store }
}

/// Neurons with GPUs whose pod runs on `node` or whose node is not known yet.
pub fn on_node(node: &str, neurons: &[Arc<Neuron>]) -> Vec<ObjectRef<Neuron>> {
    neurons
        .iter()
        .filter(|n| n.spec.gpus > 0)
        .filter(|n| {
            n.status
                .as_ref()
                .and_then(|s| s.pod.as_ref())
                .and_then(|p| p.node.as_deref())
                .is_none_or(|p| p == node)
        })
        .map(|n| ObjectRef::from_obj(n.as_ref()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{NeuronStatus, PodStatusSummary};

    fn neuron(name: &str, gpus: u32, node: Option<&str>) -> Arc<Neuron> {
        let mut n = Neuron::new(
            name,
            serde_json::from_value(serde_json::json!(
                {"subnet": "sn", "role": "miner", "image": "i", "gpus": gpus}))
            .unwrap(),
        );
        n.metadata.namespace = Some("a".into());
        n.status = node.map(|node| NeuronStatus {
            pod: Some(PodStatusSummary {
                name: format!("{name}-0"),
                node: (!node.is_empty()).then(|| node.into()),
                ..Default::default()
            }),
            ..Default::default()
        });
        Arc::new(n)
    }

    #[test]
    fn node_changes_wake_gpu_neurons_on_that_node() {
        let all = vec![
            neuron("on-n1", 1, Some("n1")),
            neuron("on-n2", 2, Some("n2")),
            neuron("cpu-on-n1", 0, Some("n1")),
            neuron("no-status", 1, None),
            neuron("unscheduled", 1, Some("")),
        ];
        let cases = [
            ("n1", vec!["on-n1", "no-status", "unscheduled"]),
            ("n2", vec!["on-n2", "no-status", "unscheduled"]),
            ("n3", vec!["no-status", "unscheduled"]),
        ];
        for (node, want) in cases {
            let got: Vec<String> = on_node(node, &all).into_iter().map(|r| r.name).collect();
            assert_eq!(got, want, "{node}");
        }
    }
}
