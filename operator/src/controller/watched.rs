//! What the controllers watch, and how: one namespace or all, the watches' server-side timeout,
//! the label selections of children, and who reports objects of our kinds that do not decode.

use super::lenient;
use crate::api::{labels, types};
use kube::runtime::events::Recorder;
use kube::runtime::watcher;
use kube::{Api, Client, Resource};
use std::sync::Arc;

pub fn api<K>(client: &Client, ns: Option<&str>) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    match ns {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// One namespace (or all) and the watches' server-side timeout.
pub struct Watched<'a> {
    pub namespace: Option<&'a str>,
    /// `timeoutSeconds` of every watch; kube-runtime's watcher starts a watch again when it sent
    /// nothing, not even a bookmark, for this plus 5 s (a stalled connection or API server).
    pub timeout_seconds: u32,
}

impl Watched<'_> {
    /// The base of every watch's config.
    pub fn config(&self) -> watcher::Config {
        watcher::Config::default().timeout(self.timeout_seconds)
    }
}

/// Children and pods carry our label: watching only those keeps other Secrets out of memory.
pub fn ours(base: &watcher::Config) -> watcher::Config {
    base.clone().labels(&format!(
        "{}={}",
        labels::MANAGED_BY,
        labels::MANAGED_BY_VALUE
    ))
}

/// Condition types an undecodable object gets False/InvalidObject: `Ready`, and for NeuronSets
/// also `Progressing` (their printer column).
pub const NEURON_INVALID: &[&str] = &[types::READY];
pub const SUBNET_INVALID: &[&str] = &[types::READY];
pub const SET_INVALID: &[&str] = &[types::READY, types::PROGRESSING];

/// Reports undecodable objects of `K` on themselves (see `lenient`).
pub fn invalid<K: Resource<DynamicType = ()>>(
    client: &Client,
    recorder: &Recorder,
    registry: Arc<lenient::Registry>,
    types: &'static [&'static str],
) -> Arc<lenient::Reporter> {
    Arc::new(lenient::Reporter::new::<K>(
        client.clone(),
        recorder.clone(),
        registry,
        types,
    ))
}
