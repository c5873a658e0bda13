//! A watcher through which only objects that decode pass. Without it, one object of a kind that
//! does not deserialize fails every list of that kind: the watcher retries its initial list
//! forever, and the store (every Neuron) never becomes ready.

use super::decode::Decoded;
use super::report::Reporter;
use futures::{future, Stream, StreamExt};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::watcher::{self, watcher, Event};
use kube::runtime::WatchStreamExt;
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::sync::Arc;

/// Where undecodable objects go.
pub struct Sink<K: Resource<DynamicType = ()> + 'static> {
    /// The kind's primary watch reports them; secondary watches (triggers only) drop them.
    reporter: Option<Arc<Reporter>>,
    /// The store the stream feeds: an object that stops decoding leaves it (as if deleted), so
    /// nothing reconciles its last good version as if it were current.
    store: Option<Store<K>>,
}

impl<K: Resource<DynamicType = ()> + Clone + 'static> Sink<K> {
    pub fn reporting(reporter: Arc<Reporter>, store: Store<K>) -> Self {
        Self {
            reporter: Some(reporter),
            store: Some(store),
        }
    }

    pub fn quiet() -> Self {
        Self {
            reporter: None,
            store: None,
        }
    }

    /// The typed event, if any, for one event of the lenient watcher.
    fn sort(&self, ev: Event<Decoded<K>>) -> Option<Event<K>> {
        let r = self.reporter.as_ref();
        match ev {
            Event::Init => {
                r.inspect(|r| r.registry().relist_started());
                Some(Event::Init)
            }
            Event::InitDone => {
                r.inspect(|r| r.registry().relist_done());
                Some(Event::InitDone)
            }
            Event::InitApply(Decoded::Valid(k)) => {
                r.inspect(|r| r.valid(k.namespace().as_deref(), &k.name_any()));
                Some(Event::InitApply(k))
            }
            Event::Apply(Decoded::Valid(k)) => {
                r.inspect(|r| r.valid(k.namespace().as_deref(), &k.name_any()));
                Some(Event::Apply(k))
            }
            Event::Delete(Decoded::Valid(k)) => {
                r.inspect(|r| r.gone(k.namespace().as_deref(), &k.name_any()));
                Some(Event::Delete(k))
            }
            Event::InitApply(Decoded::Invalid(u)) => {
                self.dropped(&u);
                r.inspect(|r| r.invalid(*u));
                None
            }
            Event::Apply(Decoded::Invalid(u)) => {
                let stored = self.stored(&u);
                self.dropped(&u);
                r.inspect(|r| r.invalid(*u));
                stored.map(Event::Delete)
            }
            Event::Delete(Decoded::Invalid(u)) => {
                let stored = self.stored(&u);
                r.inspect(|r| {
                    r.gone(
                        u.meta.namespace.as_deref(),
                        u.meta.name.as_deref().unwrap_or_default(),
                    )
                });
                stored.map(Event::Delete)
            }
        }
    }

    fn stored(&self, u: &super::decode::Undecodable) -> Option<K> {
        let store = self.store.as_ref()?;
        let mut r = ObjectRef::<K>::new(u.meta.name.as_deref()?);
        if let Some(ns) = &u.meta.namespace {
            r = r.within(ns);
        }
        store.get(&r).map(|k| (*k).clone())
    }

    fn dropped(&self, u: &super::decode::Undecodable) {
        if self.reporter.is_none() {
            tracing::debug!(kind = %K::kind(&()), object = u.meta.name.as_deref().unwrap_or_default(),
                error = %u.error, "undecodable object left out of a secondary watch");
        }
    }
}

/// `watcher(Api<K>, cfg)`, except that objects that do not decode as `K` are handed to `sink`
/// instead of failing the list or event that carried them.
pub fn watch<K>(
    client: &Client,
    ns: Option<&str>,
    cfg: watcher::Config,
    sink: Sink<K>,
) -> impl Stream<Item = watcher::Result<Event<K>>> + Send + 'static
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + Sync
        + 'static,
{
    let api: Api<Decoded<K>> = match ns {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    watcher(api, cfg).filter_map(move |ev| future::ready(ev.map(|e| sink.sort(e)).transpose()))
}

/// The primary watch of a kind: lenient, reporting what does not decode, feeding a new store.
/// Returns the store and the stream of applied objects a `Controller::for_stream` takes.
pub fn primary<K>(
    client: &Client,
    ns: Option<&str>,
    cfg: watcher::Config,
    reporter: Arc<Reporter>,
) -> (
    Store<K>,
    impl Stream<Item = watcher::Result<K>> + Send + 'static,
)
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
    let sink = Sink::reporting(reporter, store.clone());
    let stream = reflector::reflector(writer, watch(client, ns, cfg, sink)).applied_objects();
    (store, stream)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Neuron;
    use crate::controller::lenient::decode::decode;
    use crate::controller::lenient::registry::Registry;
    use serde_json::json;

    fn raw(name: &str, role: &str, rv: &str) -> Decoded<Neuron> {
        decode(
            json!({"apiVersion": "tensorfleet.io/v1alpha1", "kind": "Neuron",
            "metadata": {"name": name, "namespace": "a", "resourceVersion": rv},
            "spec": {"subnet": "sn", "role": role, "image": "i"}}),
        )
    }

    fn names(ev: &Option<Event<Neuron>>) -> String {
        match ev {
            None => "-".into(),
            Some(Event::Init) => "init".into(),
            Some(Event::InitDone) => "done".into(),
            Some(Event::InitApply(k)) => format!("init-apply {}", k.name_any()),
            Some(Event::Apply(k)) => format!("apply {}", k.name_any()),
            Some(Event::Delete(k)) => format!("delete {}", k.name_any()),
        }
    }

    #[tokio::test]
    async fn bad_objects_leave_the_typed_stream_and_the_store() {
        let (store, mut writer) = reflector::store::<Neuron>();
        let client = Client::try_from(kube::Config::new("http://127.0.0.1:9".parse().unwrap()))
            .expect("client");
        let registry = Arc::new(Registry::default());
        let reporter = Arc::new(Reporter::new::<Neuron>(
            client.clone(),
            kube::runtime::events::Recorder::new(client, "test".into()),
            registry.clone(),
            &["Ready"],
        ));
        // Quiet sink first: secondary watches only drop.
        let quiet = Sink::<Neuron>::quiet();
        assert_eq!(names(&quiet.sort(Event::Apply(raw("x", "boss", "1")))), "-");
        let sink = Sink::reporting(reporter, store.clone());
        // (event in, typed event out, undecodable objects known afterwards)
        let steps: Vec<(Event<Decoded<Neuron>>, &str, usize)> = vec![
            (Event::Init, "init", 0),
            (
                Event::InitApply(raw("good", "miner", "1")),
                "init-apply good",
                0,
            ),
            (Event::InitApply(raw("bad", "boss", "2")), "-", 1),
            (Event::InitDone, "done", 1),
            // a good object turns bad: it leaves the store
            (Event::Apply(raw("good", "chief", "3")), "delete good", 2),
            // an unknown bad object changes: nothing to remove
            (Event::Apply(raw("bad", "boss", "4")), "-", 2),
            // fixed: it comes back
            (Event::Apply(raw("bad", "miner", "5")), "apply bad", 1),
            (Event::Delete(raw("good", "chief", "6")), "-", 0),
            // a relist that no longer sees an undecodable object forgets it
            (Event::Apply(raw("other", "boss", "7")), "-", 1),
            (Event::Init, "init", 1),
            (
                Event::InitApply(raw("bad", "miner", "5")),
                "init-apply bad",
                1,
            ),
            (Event::InitDone, "done", 0),
        ];
        for (i, (ev, want, known)) in steps.into_iter().enumerate() {
            let out = sink.sort(ev);
            assert_eq!(names(&out), want, "step {i}");
            if let Some(e) = &out {
                writer.apply_watcher_event(e);
            }
            assert_eq!(registry.len(), known, "step {i}: undecodable objects known");
        }
        let mut stored: Vec<String> = store.state().iter().map(|n| n.name_any()).collect();
        stored.sort();
        assert_eq!(stored, ["bad"]);
    }
}
