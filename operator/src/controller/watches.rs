//! The watches whose caches the reconciles read (children, pods, Secrets, the ledger), and which
//! object each change wakes. Each is one watch: its store for the reads, its stream for the
//! triggers.

use super::lenient;
use super::watched::{api, ours, Watched};
use crate::api::types;
use crate::api::{labels, Neuron, NeuronSet, Spend, Subnet};
use crate::children::uses_hotkey_secret;
use futures::stream::BoxStream;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::PartialObjectMeta;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;

pub type Touched<K> = BoxStream<'static, Result<K, watcher::Error>>;

/// A store of `K` (our label only) and the stream that fills it, for a controller to drive;
/// `slim` trims what the store keeps of each object (`slim.rs`).
pub fn reflected<K>(client: &Client, w: &Watched<'_>, slim: fn(&mut K)) -> (Store<K>, Touched<K>)
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + Sync
        + 'static,
{
    let (store, writer) = reflector::store::<K>();
    let stream = reflector::reflector(
        writer,
        watcher(api::<K>(client, w.namespace), ours(&w.config())).modify(slim),
    )
    .default_backoff()
    .touched_objects()
    .boxed();
    (store, stream)
}

/// Every Secret's metadata (which exist, at which version; never their data).
pub fn secret_index(
    client: &Client,
    w: &Watched<'_>,
) -> (
    Store<PartialObjectMeta<Secret>>,
    Touched<PartialObjectMeta<Secret>>,
) {
    let (store, writer) = reflector::store();
    let metas = api::<PartialObjectMeta<Secret>>(client, w.namespace);
    let stream = reflector::reflector(writer, watcher(metas, w.config()))
        .default_backoff()
        .touched_objects()
        .boxed();
    (store, stream)
}

/// The Neurons shown `RegistrationBlocked/BudgetExhausted` that share a budget with `spend`
/// (its Subnet's 24 h budget, its NeuronSet's): an intent counts at its limit until it resolves,
/// so its resolution (or its discarding) may give them room again. Nothing else would wake them
/// before the resync.
pub fn held_by_budget(spend: &Spend, neurons: &[Arc<Neuron>]) -> Vec<ObjectRef<Neuron>> {
    neurons
        .iter()
        .filter(|n| {
            n.metadata.namespace == spend.metadata.namespace && n.name_any() != spend.spec.neuron
        })
        .filter(|n| {
            n.spec.subnet == spend.spec.subnet
                || spend.spec.neuron_set.is_some()
                    && n.labels().get(labels::NEURON_SET) == spend.spec.neuron_set.as_ref()
        })
        .filter(|n| {
            n.status.as_ref().is_some_and(|st| {
                st.conditions.iter().any(|c| {
                    c.type_ == types::REGISTRATION_BLOCKED
                        && c.status == "True"
                        && c.reason == crate::decide::registration::BUDGET_EXHAUSTED
                })
            })
        })
        .map(|n| ObjectRef::from_obj(n.as_ref()))
        .collect()
}

/// The Neurons a user's Secret change concerns: those naming it as hotkey or coldkey Secret.
/// Our own Secrets (labelled) wake their Neuron through the managed watch instead.
pub fn neurons_of_secret(
    neurons: &Store<Neuron>,
    s: &PartialObjectMeta<Secret>,
) -> Vec<ObjectRef<Neuron>> {
    if s.labels().contains_key(labels::MANAGED_BY) {
        return Vec::new();
    }
    let (ns, name) = (&s.metadata.namespace, s.name_any());
    neurons
        .state()
        .iter()
        .filter(|n| &n.metadata.namespace == ns)
        .filter(|n| {
            uses_hotkey_secret(n, &name)
                || n.spec.wallet.coldkey_secret.as_deref() == Some(name.as_str())
        })
        .map(|n| ObjectRef::from_obj(n.as_ref()))
        .collect()
}

/// Where a changed Spend's news goes: its Neuron, its NeuronSet, its Subnet, and the Neurons
/// its budget holds back (`held_by_budget`).
pub struct SpendWakes {
    pub neurons: UnboundedSender<ObjectRef<Neuron>>,
    pub neuron_store: Store<Neuron>,
    pub sets: UnboundedSender<ObjectRef<NeuronSet>>,
    pub subnets: UnboundedSender<ObjectRef<Subnet>>,
}

/// Starts the ledger's watch (lenient: a Spend that does not decode is left out, not a stalled
/// list) and returns its store. Each change wakes the objects it concerns.
pub fn ledger(client: &Client, w: &Watched<'_>, wakes: SpendWakes) -> Store<Spend> {
    let (store, writer) = reflector::store::<Spend>();
    let cfg = ours(&w.config());
    let stream = reflector::reflector(
        writer,
        lenient::watch(client, w.namespace, cfg, lenient::Sink::quiet()),
    )
    .default_backoff()
    .touched_objects();
    tokio::spawn(async move {
        futures::pin_mut!(stream);
        while let Some(ev) = stream.next().await {
            let s = match ev {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "watching the ledger (Spends)");
                    continue;
                }
            };
            let Some(ns) = s.namespace() else { continue };
            let _ = wakes
                .neurons
                .send(ObjectRef::new(&s.spec.neuron).within(&ns));
            for n in held_by_budget(&s, &wakes.neuron_store.state()) {
                let _ = wakes.neurons.send(n);
            }
            let _ = wakes
                .subnets
                .send(ObjectRef::new(&s.spec.subnet).within(&ns));
            if let Some(set) = &s.spec.neuron_set {
                let _ = wakes.sets.send(ObjectRef::new(set).within(&ns));
            }
        }
    });
    store
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Condition, NeuronStatus, SpendCall};
    use crate::children::testutil::neuron;
    use crate::decide::ledger::tests::spend;

    /// A Neuron on `subnet` (in `set`), shown RegistrationBlocked with `reason` if any.
    fn blocked(name: &str, subnet: &str, set: Option<&str>, reason: Option<&str>) -> Arc<Neuron> {
        let mut n = neuron(name, subnet, "miner");
        if let Some(set) = set {
            n.metadata.labels = Some([(labels::NEURON_SET.to_string(), set.to_string())].into());
        }
        n.status = Some(NeuronStatus {
            conditions: reason
                .map(|r| Condition {
                    type_: types::REGISTRATION_BLOCKED.into(),
                    status: "True".into(),
                    reason: r.into(),
                    message: "m".into(),
                    observed_generation: None,
                    last_transition_time: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                        "2026-01-01T00:00:00Z".parse().expect("timestamp"),
                    ),
                })
                .into_iter()
                .collect(),
            ..Default::default()
        });
        Arc::new(n)
    }

    #[test]
    fn a_spend_wakes_the_neurons_its_budget_holds_back() {
        let neurons = [
            blocked("a", "sn", None, Some("BudgetExhausted")),
            blocked("b", "sn", None, Some("BurnAboveCap")),
            blocked("c", "sn", None, None),
            blocked("d", "other", None, Some("BudgetExhausted")),
            blocked("e", "other", Some("set"), Some("BudgetExhausted")),
            blocked("self", "sn", None, Some("BudgetExhausted")),
        ];
        let names = |s: &Spend| {
            let mut v: Vec<String> = held_by_budget(s, &neurons)
                .into_iter()
                .map(|r| r.name)
                .collect();
            v.sort();
            v
        };
        let mut standalone = spend("self", None, SpendCall::Register, 1, "t", None);
        standalone.metadata.namespace = Some("miners".into());
        // Same Subnet and blocked by a budget: woken; another reason, no block, another Subnet
        // or the spend's own Neuron (woken anyway): not.
        assert_eq!(names(&standalone), ["a"]);
        let mut of_set = spend("self", Some("set"), SpendCall::Register, 1, "t", None);
        of_set.metadata.namespace = Some("miners".into());
        // A set's spend also frees the set's budget, whatever Subnet its members are on.
        assert_eq!(names(&of_set), ["a", "e"]);
        let mut elsewhere = standalone.clone();
        elsewhere.metadata.namespace = Some("validators".into());
        assert!(names(&elsewhere).is_empty(), "another namespace's budgets");
    }
}
