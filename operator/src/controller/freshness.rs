//! Our own status writes can outrun the watch: a reconcile woken in between (say, by the pod
//! deletion it just caused) would start from the store's older copy and write older values back
//! (a restart count, a condition, a NeuronSet's spend ledger). So we remember the resourceVersion
//! of each status write and read the object from the API while the store has not caught up with
//! it. In steady state nothing is remembered and no extra read happens.

use super::context::Context;
use super::error::Result;
use kube::{Resource, ResourceExt};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

/// `Kind/ns/name` → resourceVersion of the newest copy we wrote or read past the store.
#[derive(Default)]
pub struct WrittenVersions(Mutex<HashMap<String, String>>);

impl WrittenVersions {
    pub fn record(&self, key: &str, version: Option<String>) {
        let mut m = self.0.lock().expect("versions lock");
        match version {
            Some(v) => m.insert(key.to_string(), v),
            None => m.remove(key),
        };
    }

    /// Whether the store's copy (at `store_version`) may predate our last write. Forgets the
    /// record once the store shows that very version.
    pub fn behind(&self, key: &str, store_version: Option<&str>) -> bool {
        let mut m = self.0.lock().expect("versions lock");
        match m.get(key) {
            None => false,
            Some(v) if Some(v.as_str()) == store_version => {
                m.remove(key);
                false
            }
            Some(_) => true,
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

/// The object as the server holds it when the store may lag our last write, else the store's.
pub async fn current<K>(obj: Arc<K>, ctx: &Context) -> Result<Arc<K>>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug,
{
    let key = key(obj.as_ref());
    if !ctx.written.behind(&key, obj.resource_version().as_deref()) {
        return Ok(obj);
    }
    let ns = obj.namespace().unwrap_or_default();
    let fresh = super::lenient::read::one::<K>(&ctx.client, &ns, &obj.name_any()).await?;
    Ok(match fresh {
        Some(fresh) => {
            ctx.written.record(&key, fresh.resource_version());
            Arc::new(fresh)
        }
        None => obj,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behind_until_the_store_shows_our_version() {
        let w = WrittenVersions::default();
        // (recorded, store version, behind?)
        let cases = [
            (None, Some("5"), false),
            (Some("7"), Some("5"), true),
            (Some("7"), None, true),
            (Some("7"), Some("7"), false),
        ];
        for (recorded, store, want) in cases {
            w.record("ns/a", recorded.map(String::from));
            assert_eq!(w.behind("ns/a", store), want, "{recorded:?} vs {store:?}");
        }
        // caught up: the record is gone, so a later (user's) version is not "behind" either
        w.record("ns/a", Some("9".into()));
        assert!(!w.behind("ns/a", Some("9")));
        assert!(!w.behind("ns/a", Some("12")));
        assert!(!w.behind("ns/b", Some("1")), "other objects are unaffected");
    }
}
