//! The watches whose caches the reconciles read (children, pods, Secrets, the ledger), and which
//! object each change wakes. Each is one watch: its store for the reads, its stream for the
//! triggers.

use super::lenient;
use super::watched::{api, ours, Watched};
use crate::api::{labels, Neuron, NeuronSet, Spend, Subnet};
use crate::children::hotkey_secret_name;
use futures::stream::BoxStream;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::PartialObjectMeta;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use tokio::sync::mpsc::UnboundedSender;

pub type Touched<K> = BoxStream<'static, Result<K, watcher::Error>>;

/// A store of `K` (our label only) and the stream that fills it, for a controller to drive.
pub fn reflected<K>(client: &Client, w: &Watched<'_>) -> (Store<K>, Touched<K>)
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
        watcher(api::<K>(client, w.namespace), ours(&w.config())),
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

/// The Neurons a user's Secret change concerns: those naming it as hotkey or coldkey Secret.
/// Our own Secrets (labelled) wake their Neuron through the managed watch instead.
pub fn neurons_of_secret(
    neurons: &Store<Neuron>,
    s: &PartialObjectMeta<Secret>,
) -> Vec<ObjectRef<Neuron>> {
    if s.labels().contains_key(labels::MANAGED_BY) {
        return Vec::new();
    }
    let (ns, name) = (s.namespace(), s.name_any());
    neurons
        .state()
        .iter()
        .filter(|n| n.namespace() == ns)
        .filter(|n| {
            hotkey_secret_name(n) == name
                || n.spec.wallet.coldkey_secret.as_deref() == Some(name.as_str())
        })
        .map(|n| ObjectRef::from_obj(n.as_ref()))
        .collect()
}

/// Where a changed Spend's news goes: its Neuron, its NeuronSet, its Subnet.
pub struct SpendWakes {
    pub neurons: UnboundedSender<ObjectRef<Neuron>>,
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
