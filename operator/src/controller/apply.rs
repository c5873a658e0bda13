//! Server-side apply (field manager `tensorfleet`) of children and of status, and deletion of
//! children that are no longer wanted.

use super::error::{Error, Result};
use crate::api::FIELD_MANAGER;
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

fn ssa() -> PatchParams {
    PatchParams::apply(FIELD_MANAGER).force()
}

/// Applies the full desired object; returns what the API server holds afterwards.
pub async fn apply<K>(api: &Api<K>, obj: &K) -> Result<K>
where
    K: Resource + Serialize + DeserializeOwned + Clone + Debug,
{
    Ok(api
        .patch(&obj.name_any(), &ssa(), &Patch::Apply(obj))
        .await?)
}

/// Annotation holding a fingerprint of what the operator last applied.
pub const APPLIED_ANNOTATION: &str = "tensorfleet.io/applied";

/// Applies `obj` unless `live` (the watch cache's copy) already matches it: same fingerprint of
/// the desired object (so removed fields are noticed) and every desired field present (so drift
/// is fixed). A steady state costs neither a read nor a write. Returns the live object.
pub async fn apply_over<K>(api: &Api<K>, obj: &K, live: Option<&K>) -> Result<K>
where
    K: Resource + Serialize + DeserializeOwned + Clone + Debug,
{
    let mut obj = obj.clone();
    let want = serde_json::to_value(&obj).map_err(|e| Error::Serialize("object", e))?;
    obj.meta_mut()
        .annotations
        .get_or_insert_with(Default::default)
        .insert(APPLIED_ANNOTATION.into(), fingerprint(&want));
    if let Some(live) = live {
        let want = serde_json::to_value(&obj).map_err(|e| Error::Serialize("object", e))?;
        let mut have = serde_json::to_value(live).map_err(|e| Error::Serialize("object", e))?;
        super::slim::restore(&mut have);
        if contains(&have, &want) {
            return Ok(live.clone());
        }
    }
    apply(api, &obj).await
}

/// FNV-1a of the object's JSON, with Secret values replaced by their key names: values are
/// compared directly, and no digest of key material ends up in an annotation.
pub fn fingerprint(v: &serde_json::Value) -> String {
    let mut v = v.clone();
    for field in ["data", "stringData"] {
        if let Some(map) = v.get_mut(field).and_then(|d| d.as_object_mut()) {
            for val in map.values_mut() {
                *val = serde_json::Value::Null;
            }
        }
    }
    crate::children::fnv1a_hex(v.to_string().bytes())
}

/// Whether `have` holds everything in `want`: objects by key (extra keys allowed), lists
/// element by element with the same length, scalars equal.
pub fn contains(have: &serde_json::Value, want: &serde_json::Value) -> bool {
    use serde_json::Value::{Array, Object};
    match (have, want) {
        (Object(h), Object(w)) => w
            .iter()
            .all(|(k, wv)| h.get(k).is_some_and(|hv| contains(hv, wv))),
        (Array(h), Array(w)) => {
            h.len() == w.len() && h.iter().zip(w).all(|(hv, wv)| contains(hv, wv))
        }
        (h, w) => h == w,
    }
}

/// Applies `status` on the `/status` subresource of a custom resource.
/// Returns the object as written (its new resourceVersion).
pub async fn apply_status<K, S>(api: &Api<K>, name: &str, status: &S) -> Result<K>
where
    K: Resource<DynamicType = ()> + DeserializeOwned + Clone + Debug,
    S: Serialize,
{
    apply_status_at(api, name, status, None).await
}

/// `apply_status`, refused by the API server (409 Conflict) unless the object is still at
/// `resource_version` (when given). Returns the object as written.
pub async fn apply_status_at<K, S>(
    api: &Api<K>,
    name: &str,
    status: &S,
    resource_version: Option<&str>,
) -> Result<K>
where
    K: Resource<DynamicType = ()> + DeserializeOwned + Clone + Debug,
    S: Serialize,
{
    let status = serde_json::to_value(status).map_err(|e| Error::Serialize("status", e))?;
    let body = status_body::<K>(status, resource_version);
    Ok(api.patch_status(name, &ssa(), &Patch::Apply(body)).await?)
}

/// The status apply body, with a resourceVersion precondition when given.
fn status_body<K: Resource<DynamicType = ()>>(
    status: serde_json::Value,
    resource_version: Option<&str>,
) -> serde_json::Value {
    let mut body = serde_json::json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    if let Some(rv) = resource_version {
        body["metadata"] = serde_json::json!({ "resourceVersion": rv });
    }
    body
}

/// Deletes `obj` (the watch cache's copy) if it is controlled by the owner with `owner_uid`
/// (never an object someone else created under the same name). Returns whether a delete was
/// issued.
pub async fn delete_owned<K>(api: &Api<K>, obj: Option<&K>, owner_uid: &str) -> Result<bool>
where
    K: Resource + DeserializeOwned + Clone + Debug,
{
    let Some(obj) = obj else {
        return Ok(false);
    };
    let name = obj.name_any();
    let name = name.as_str();
    let ours = obj
        .owner_references()
        .iter()
        .any(|o| o.controller == Some(true) && o.uid == owner_uid);
    if !ours || obj.meta().deletion_timestamp.is_some() {
        return Ok(false);
    }
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::contains;
    use serde_json::json;

    #[test]
    fn contains_table() {
        let live = json!({"metadata": {"name": "a", "uid": "1", "labels": {"x": "1"}},
                          "spec": {"replicas": 1, "ports": [{"port": 80, "nodePort": 30000}]}});
        let cases = [
            (json!({"metadata": {"name": "a"}}), true),
            (json!({"spec": {"ports": [{"port": 80}]}}), true),
            (json!({"spec": {"replicas": 0}}), false),
            (
                json!({"spec": {"ports": [{"port": 80}, {"port": 81}]}}),
                false,
            ),
            (json!({"metadata": {"labels": {"y": "2"}}}), false),
            (json!({"spec": {"paused": true}}), false),
        ];
        for (want, ok) in cases {
            assert_eq!(contains(&live, &want), ok, "{want}");
        }
    }

    #[test]
    fn fingerprint_sees_keys_not_secret_values() {
        let a = json!({"kind": "Secret", "data": {"hotkey": "c2VjcmV0"}});
        let b = json!({"kind": "Secret", "data": {"hotkey": "b3RoZXI="}});
        let c = json!({"kind": "Secret", "data": {"hotkey": "c2VjcmV0", "coldkeypub.txt": "e30="}});
        assert_eq!(super::fingerprint(&a), super::fingerprint(&b));
        assert_ne!(super::fingerprint(&a), super::fingerprint(&c));
        let s1 = json!({"spec": {"nodeSelector": {"a": "b"}}});
        let s2 = json!({"spec": {}});
        assert_ne!(super::fingerprint(&s1), super::fingerprint(&s2));
    }

    #[test]
    fn status_body_carries_the_precondition_only_when_given() {
        let st = json!({"phase": "Registering"});
        let at = super::status_body::<crate::api::Neuron>(st.clone(), Some("42"));
        assert_eq!(at["metadata"], json!({"resourceVersion": "42"}));
        assert_eq!((&at["kind"], &at["status"]), (&json!("Neuron"), &st));
        let any = super::status_body::<crate::api::Neuron>(st, None);
        assert!(any.get("metadata").is_none(), "{any}");
    }
}
