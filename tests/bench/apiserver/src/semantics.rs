//! Pure object semantics (no I/O), as tests/e2e/patching.py and emulator.py `_write`: patches,
//! server-side apply, the generation rule and no-op detection.

use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::registry::Resource;

/// RFC 7386 JSON merge patch (strategic merge is approximated by it, as the Python emulator does).
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let mut out = target.clone();
    json_patch::merge(&mut out, patch);
    out
}

/// RFC 6902 JSON patch as the apiserver does it: every `test` is checked against the target
/// first (a missing path compares as null); a failing test or a bad op is a 422.
pub fn json_patch(target: &Value, ops: &Value) -> Result<Value, ApiError> {
    let ops = ops
        .as_array()
        .ok_or_else(|| ApiError::bad_request("a JSON patch must be a list of operations"))?;
    let mut rest = vec![];
    for op in ops {
        if op["op"] == "test" {
            let path = op["path"].as_str().unwrap_or("");
            let actual = target.pointer(path).unwrap_or(&Value::Null);
            if actual != op.get("value").unwrap_or(&Value::Null) {
                return Err(ApiError::invalid(format!(
                    "the server rejected our request: test failed at {path}"
                )));
            }
        } else {
            rest.push(op.clone());
        }
    }
    let patch: json_patch::Patch = serde_json::from_value(Value::Array(rest))
        .map_err(|e| ApiError::invalid(format!("the server rejected our request: {e}")))?;
    let mut out = target.clone();
    json_patch::patch(&mut out, &patch)
        .map_err(|e| ApiError::invalid(format!("the server rejected our request: {e}")))?;
    Ok(out)
}

/// Server-side apply for one field manager without managedFields: fields the manager applied
/// last time and no longer applies are removed; maps merge; lists are replaced whole.
pub fn apply_patch(target: &Value, applied: &Value, previous: Option<&Value>) -> Value {
    let mut pruned = target.clone();
    if let Some(prev) = previous {
        prune(&mut pruned, prev, Some(applied));
    }
    merge_patch(&pruned, applied)
}

fn prune(target: &mut Value, previous: &Value, applied: Option<&Value>) {
    let (Some(t), Some(prev)) = (target.as_object_mut(), previous.as_object()) else {
        return;
    };
    for (key, old) in prev {
        if key == "apiVersion" || key == "kind" {
            continue;
        }
        match applied.and_then(|a| a.as_object()).and_then(|a| a.get(key)) {
            None => {
                t.remove(key);
            }
            Some(new) if old.is_object() && new.is_object() => {
                if let Some(child) = t.get_mut(key).filter(|c| c.is_object()) {
                    prune(child, old, Some(new));
                }
            }
            Some(_) => {}
        }
    }
}

/// Whether `metadata.generation` must bump: anything besides metadata and status changed.
pub fn spec_changed(old: &Value, new: &Value) -> bool {
    let body = |o: &Value| -> Vec<(String, Value)> {
        let mut v: Vec<(String, Value)> = o
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| *k != "metadata" && *k != "status")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    body(old) != body(new)
}

const FIXED_META: [&str; 8] = [
    "name",
    "namespace",
    "uid",
    "creationTimestamp",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "resourceVersion",
];

#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// Nothing changed: no new resourceVersion, no watch event.
    NoOp,
    Modified(Value),
    /// Deletion pending and no finalizer left.
    Deleted(Value),
}

/// Keeps what a write may not change (status or everything but status, fixed metadata), applies
/// `defaults`, bumps the generation on a spec change and tells no-ops apart.
pub fn finish_write(
    res: &Resource,
    old: &Value,
    new: Value,
    sub: Option<&str>,
    defaults: impl FnOnce(&mut Value, Option<&Value>),
) -> Outcome {
    let mut new = match new {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if sub == Some("status") {
        let status = new.remove("status").filter(|s| !s.is_null());
        new = old.as_object().cloned().unwrap_or_default();
        match status {
            Some(s) => new.insert("status".into(), s),
            None => new.remove("status"),
        };
    } else if res.has_sub("status") {
        new.remove("status");
        if let Some(s) = old.get("status") {
            new.insert("status".into(), s.clone());
        }
    }
    if !new.get("metadata").is_some_and(Value::is_object) {
        new.insert("metadata".into(), json!({}));
    }
    let old_meta = &old["metadata"];
    let meta = new["metadata"]
        .as_object_mut()
        .expect("metadata is an object");
    for fixed in FIXED_META {
        match old_meta.get(fixed) {
            Some(v) => meta.insert(fixed.into(), v.clone()),
            None => meta.remove(fixed),
        };
    }
    if meta
        .get("finalizers")
        .is_some_and(|f| f.as_array().is_some_and(Vec::is_empty))
    {
        meta.remove("finalizers");
    }
    new.insert("apiVersion".into(), json!(res.api_version()));
    new.insert("kind".into(), json!(res.kind));
    let mut new = Value::Object(new);
    defaults(&mut new, Some(old));
    if spec_changed(old, &new) {
        new["metadata"]["generation"] = json!(old_meta["generation"].as_i64().unwrap_or(1) + 1);
    }
    if &new == old {
        return Outcome::NoOp;
    }
    let meta = &new["metadata"];
    let finalizers = meta["finalizers"].as_array().is_some_and(|f| !f.is_empty());
    if meta.get("deletionTimestamp").is_some_and(|d| !d.is_null()) && !finalizers {
        Outcome::Deleted(new)
    } else {
        Outcome::Modified(new)
    }
}

fn dig<'a>(obj: &'a Value, dotted: &str) -> &'a Value {
    dotted
        .split('.')
        .fold(obj, |o, part| o.get(part).unwrap_or(&Value::Null))
}

pub fn scale_view(res: &Resource, obj: &Value) -> Value {
    let meta = &obj["metadata"];
    let mut m = Map::new();
    for k in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(v) = meta.get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    let mut status = json!({"replicas": dig(obj, &res.status_replicas).as_i64().unwrap_or(0)});
    if let Some(sel) = res
        .selector_path
        .as_deref()
        .map(|p| dig(obj, p))
        .filter(|s| !s.is_null())
    {
        status["selector"] = sel.clone();
    }
    json!({"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": m,
           "spec": {"replicas": dig(obj, &res.spec_replicas).as_i64().unwrap_or(0)},
           "status": status})
}

pub fn from_scale(res: &Resource, old: &Value, scale: &Value) -> Result<Value, ApiError> {
    let replicas = scale["spec"]["replicas"]
        .as_i64()
        .filter(|r| *r >= 0)
        .ok_or_else(|| {
            ApiError::invalid("spec.replicas: Invalid value: must be a non-negative integer")
        })?;
    let mut new = old.clone();
    let mut target = &mut new;
    let parts: Vec<&str> = res.spec_replicas.split('.').collect();
    let (last, parents) = parts.split_last().expect("a path");
    for p in parents {
        if !target.get(*p).is_some_and(Value::is_object) {
            target[*p] = json!({});
        }
        target = &mut target[*p];
    }
    target[*last] = json!(replicas);
    Ok(new)
}

#[cfg(test)]
#[path = "semantics_tests.rs"]
mod tests;
