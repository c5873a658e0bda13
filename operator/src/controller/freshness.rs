//! Our own status writes can outrun the watch: a reconcile woken in between (say, by the pod
//! deletion it just caused) would start from the store's older copy and write older values back
//! (a restart count, a condition, a NeuronSet's spend ledger). So we remember the resourceVersion
//! of each status write. While the store has not caught up, the reconcile waits for it instead
//! of reading: our write's own watch event reconciles the object again as soon as the store
//! holds it (a GET per write was a third of the reads of a fleet converging). Only when the
//! store stays behind past `GRACE` (a stalled watch) is the object read from the API. In steady
//! state nothing is remembered and no extra read happens.

use super::context::Context;
use super::error::Result;
use kube::{Resource, ResourceExt};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the store may trail our write before we read past it. Watch events arrive within
/// milliseconds of the write; longer means the watch is stalled or restarting.
pub const GRACE: Duration = Duration::from_secs(2);

/// `Kind/ns/name` → resourceVersion of the newest copy we wrote or read past the store, and when.
#[derive(Default)]
pub struct WrittenVersions(Mutex<HashMap<String, (String, Instant)>>);

/// How the store's copy stands against our last write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lag {
    /// It holds our write or a later version (or we wrote nothing).
    None,
    /// It trails a write made this long ago (< `GRACE`).
    Briefly(Duration),
    /// It trails a write older than `GRACE`.
    Long,
}

/// Whether `store` is at or past `ours`. resourceVersions are opaque to clients, but both the
/// apiserver's (etcd revisions) and the emulator's are increasing integers; anything else is
/// only "caught up" when equal.
fn caught_up(store: &str, ours: &str) -> bool {
    store == ours || matches!((store.parse::<u64>(), ours.parse::<u64>()), (Ok(s), Ok(o)) if s >= o)
}

impl WrittenVersions {
    pub fn record(&self, key: &str, version: Option<String>) {
        self.record_at(key, version, Instant::now());
    }

    fn record_at(&self, key: &str, version: Option<String>, at: Instant) {
        let mut m = self.0.lock().expect("versions lock");
        match version {
            Some(v) => m.insert(key.to_string(), (v, at)),
            None => m.remove(key),
        };
    }

    /// How far the store's copy (at `store_version`) may be behind our last write at `now`.
    /// Forgets the record once the store shows that version or a later one.
    pub fn lag(&self, key: &str, store_version: Option<&str>, now: Instant) -> Lag {
        let mut m = self.0.lock().expect("versions lock");
        let Some((ours, at)) = m.get(key) else {
            return Lag::None;
        };
        if store_version.is_some_and(|s| caught_up(s, ours)) {
            m.remove(key);
            return Lag::None;
        }
        let age = now.saturating_duration_since(*at);
        if age < GRACE {
            Lag::Briefly(age)
        } else {
            Lag::Long
        }
    }
}

pub fn key<K: Resource<DynamicType = ()>>(obj: &K) -> String {
    format!(
        "{}/{}/{}",
        K::kind(&()),
        obj.namespace().unwrap_or_default(),
        obj.name_any()
    )
}

/// Remembers the version a status write of ours produced.
pub fn wrote<K: Resource<DynamicType = ()>>(ctx: &Context, written: &K) {
    ctx.written
        .record(&key(written), written.resource_version());
}

/// The object to reconcile, or how long to wait for the store to show our last write.
pub enum Current<K> {
    Ready(Arc<K>),
    /// The store trails our write: our write's watch event will reconcile again; requeue after
    /// this in case it does not come.
    Wait(Duration),
}

/// The store's copy when it holds our last write; a short wait while it trails it; the object
/// as the server holds it when it has trailed it too long.
pub async fn current<K>(obj: Arc<K>, ctx: &Context) -> Result<Current<K>>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug,
{
    let key = key(obj.as_ref());
    match ctx
        .written
        .lag(&key, obj.resource_version().as_deref(), Instant::now())
    {
        Lag::None => return Ok(Current::Ready(obj)),
        Lag::Briefly(age) => {
            let left = GRACE.saturating_sub(age).max(Duration::from_millis(100));
            return Ok(Current::Wait(left));
        }
        Lag::Long => {}
    }
    let ns = obj.namespace().unwrap_or_default();
    let fresh = super::lenient::read::one::<K>(&ctx.client, &ns, &obj.name_any()).await?;
    Ok(Current::Ready(match fresh {
        Some(fresh) => {
            ctx.written.record(&key, fresh.resource_version());
            Arc::new(fresh)
        }
        None => obj,
    }))
}

/// kube's `finalizer` helper, except that adding the finalizer is our own write, remembered like
/// a status write: the reconciles queued behind it (a fleet starting wakes each Neuron several
/// times) then wait for the store to show it instead of adding it again, which fails the patch's
/// `test` and backs off.
pub async fn finalizer<K, Fut>(
    ctx: &Context,
    api: &kube::Api<K>,
    name: &str,
    obj: Arc<K>,
    reconcile: impl FnOnce(kube::runtime::finalizer::Event<K>) -> Fut,
) -> std::result::Result<
    kube::runtime::controller::Action,
    kube::runtime::finalizer::Error<Fut::Error>,
>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + serde::Serialize + Debug,
    Fut: futures::TryFuture<Ok = kube::runtime::controller::Action>,
    Fut::Error: std::error::Error + 'static,
{
    use kube::runtime::finalizer::Error as FinalizerError;
    let adding =
        obj.meta().deletion_timestamp.is_none() && !obj.finalizers().iter().any(|f| f == name);
    if !adding {
        return kube::runtime::finalizer::finalizer(api, name, obj, reconcile).await;
    }
    // The same patch as the helper's: `test` fails (and we retry) if someone else changed the
    // finalizers since our copy.
    let patch = if obj.finalizers().is_empty() {
        serde_json::json!([
            {"op": "test", "path": "/metadata/finalizers", "value": null},
            {"op": "add", "path": "/metadata/finalizers", "value": [name]},
        ])
    } else {
        serde_json::json!([
            {"op": "test", "path": "/metadata/finalizers", "value": obj.finalizers()},
            {"op": "add", "path": "/metadata/finalizers/-", "value": name},
        ])
    };
    let patch: json_patch::Patch =
        serde_json::from_value(patch).expect("a JSON patch of literal operations");
    let written = api
        .patch(
            &obj.name_any(),
            &kube::api::PatchParams::default(),
            &kube::api::Patch::<()>::Json(patch),
        )
        .await
        .map_err(FinalizerError::AddFinalizer)?;
    wrote(ctx, &written);
    // Our write's watch event reconciles it next.
    Ok(kube::runtime::controller::Action::await_change())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_while_the_store_trails_our_write_then_reads() {
        let w = WrittenVersions::default();
        let t0 = Instant::now();
        let soon = t0 + Duration::from_millis(500);
        let late = t0 + GRACE + Duration::from_millis(1);
        // (recorded, store version, asked at, lag)
        let cases = [
            (None, Some("5"), soon, Lag::None),
            (
                Some("7"),
                Some("5"),
                soon,
                Lag::Briefly(Duration::from_millis(500)),
            ),
            (
                Some("7"),
                None,
                soon,
                Lag::Briefly(Duration::from_millis(500)),
            ),
            (Some("7"), Some("5"), late, Lag::Long),
            (Some("7"), Some("7"), late, Lag::None),
            // a later version (a user's edit after ours) is caught up too
            (Some("7"), Some("12"), soon, Lag::None),
            // not integers: only equality says caught up
            (
                Some("b"),
                Some("c"),
                soon,
                Lag::Briefly(Duration::from_millis(500)),
            ),
        ];
        for (recorded, store, at, want) in cases {
            w.record_at("ns/a", recorded.map(String::from), t0);
            assert_eq!(w.lag("ns/a", store, at), want, "{recorded:?} vs {store:?}");
        }
        // caught up: the record is gone, so an older store copy later is not "behind" either
        w.record_at("ns/a", Some("9".into()), t0);
        assert_eq!(w.lag("ns/a", Some("9"), soon), Lag::None);
        assert_eq!(w.lag("ns/a", Some("3"), soon), Lag::None);
        assert_eq!(w.lag("ns/b", Some("1"), soon), Lag::None, "other objects");
    }
}
