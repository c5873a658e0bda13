//! The watch caches reconciles read instead of the API: Subnets, and the Neurons' StatefulSets,
//! Services and pods (those carrying our label). Filled by the controllers' own watches.

use crate::api::Subnet;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::Resource;
use std::sync::Arc;

#[derive(Clone)]
pub struct Stores {
    pub subnets: Store<Subnet>,
    pub statefulsets: Store<StatefulSet>,
    pub services: Store<Service>,
    pub pods: Store<Pod>,
}

/// `name` in `ns` from `store`.
pub fn get<K>(store: &Store<K>, ns: &str, name: &str) -> Option<Arc<K>>
where
    K: Resource<DynamicType = ()> + Clone + 'static,
{
    store.get(&ObjectRef::new(name).within(ns))
}

/// Whether the store has had its first complete list (without waiting).
pub fn listed<K>(store: &Store<K>) -> bool
where
    K: kube::Resource + Clone + 'static,
    K::DynamicType: std::hash::Hash + Eq + Clone,
{
    use futures::FutureExt;
    store
        .wait_until_ready()
        .now_or_never()
        .is_some_and(|r| r.is_ok())
}

impl Stores {
    /// Empty stores that never fill (tests, and before the watches start).
    pub fn empty() -> Self {
        Self {
            subnets: reflector::store().0,
            statefulsets: reflector::store().0,
            services: reflector::store().0,
            pods: reflector::store().0,
        }
    }

    /// Every store has had its first complete list.
    pub async fn ready(&self) -> bool {
        self.subnets.wait_until_ready().await.is_ok()
            && self.statefulsets.wait_until_ready().await.is_ok()
            && self.services.wait_until_ready().await.is_ok()
            && self.pods.wait_until_ready().await.is_ok()
    }
}
