//! The verbs on the store, as tests/e2e/emulator.py: create, replace, patch, delete (finalizers),
//! with 404/409/422 answers and no-op writes that commit nothing.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::semantics::{self, Outcome};
use crate::store::State;

pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Where a request points: resource index, namespace (None when cluster-scoped or all), name,
/// subresource.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub res: usize,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

impl Target {
    fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }
}

impl State {
    fn not_found(&self, res: usize, name: &str) -> ApiError {
        let r = &self.reg.all[res];
        let qualified = if r.group.is_empty() {
            r.plural.clone()
        } else {
            format!("{}.{}", r.plural, r.group)
        };
        ApiError::new(404, "NotFound", format!("{qualified} \"{name}\" not found"))
            .with_details(json!({"name": name, "group": r.group, "kind": r.plural}))
    }

    pub fn get(&self, t: &Target) -> Result<Arc<Value>, ApiError> {
        self.current(t.res, t.ns.as_deref(), t.name())
            .ok_or_else(|| self.not_found(t.res, t.name()))
    }

    /// A create; `keep_status` for the test side (kubelet, bulk load) that writes status too.
    pub fn create(
        &mut self,
        t: &Target,
        body: Value,
        keep_status: bool,
    ) -> Result<Arc<Value>, ApiError> {
        let Value::Object(_) = body else {
            return Err(ApiError::bad_request(
                "the body of a create must be an object",
            ));
        };
        let mut obj = body;
        if !obj["metadata"].is_object() {
            obj["metadata"] = json!({});
        }
        if obj["metadata"]["name"].as_str().is_none_or(str::is_empty) {
            let Some(prefix) = obj["metadata"]["generateName"]
                .as_str()
                .filter(|s| !s.is_empty())
            else {
                return Err(ApiError::invalid(
                    "metadata.name: Required value: name or generateName is required",
                ));
            };
            let name = format!("{prefix}{}", self.suffix());
            obj["metadata"]["name"] = json!(name);
        }
        let r = self.reg.all[t.res].clone();
        let meta = obj["metadata"].as_object_mut().expect("an object");
        if r.namespaced {
            let ns = t.ns.as_deref().ok_or_else(ApiError::no_route)?;
            if meta
                .get("namespace")
                .and_then(Value::as_str)
                .is_some_and(|n| n != ns)
            {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            meta.insert("namespace".into(), json!(ns));
        } else {
            meta.remove("namespace");
        }
        let name = meta["name"].as_str().unwrap_or("").to_string();
        if self.current(t.res, t.ns.as_deref(), &name).is_some() {
            return Err(ApiError::new(
                409,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", r.plural),
            )
            .with_details(json!({"name": name, "group": r.group, "kind": r.plural})));
        }
        for gone in ["deletionTimestamp", "managedFields", "resourceVersion"] {
            meta.remove(gone);
        }
        meta.insert("uid".into(), json!(self.uid()));
        meta.insert("creationTimestamp".into(), json!(now_rfc3339()));
        meta.insert("generation".into(), json!(1));
        obj["apiVersion"] = json!(r.api_version());
        obj["kind"] = json!(r.kind);
        if r.has_sub("status") && !keep_status {
            obj.as_object_mut().expect("an object").remove("status");
        }
        self.defaults(t.res, &mut obj, None);
        Ok(self.commit(t.res, "ADDED", obj, None))
    }

    /// The current object, after the body's `metadata.resourceVersion` precondition.
    fn existing(&self, t: &Target, body: &Value) -> Result<Arc<Value>, ApiError> {
        let old = self.get(t)?;
        let want = body["metadata"]["resourceVersion"]
            .as_str()
            .filter(|s| !s.is_empty());
        if want.is_some_and(|w| Some(w) != old["metadata"]["resourceVersion"].as_str()) {
            return Err(self.conflict(t));
        }
        Ok(old)
    }

    fn conflict(&self, t: &Target) -> ApiError {
        let plural = &self.reg.all[t.res].plural;
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {plural} \"{}\": the object has been modified; please \
                 apply your changes to the latest version and try again",
                t.name()
            ),
        )
        .with_details(json!({"name": t.name(), "kind": plural}))
    }

    /// Commits `new` over `old` unless nothing changed (then `old` comes back as it is).
    pub fn write(&mut self, t: &Target, old: Arc<Value>, new: Value) -> Arc<Value> {
        let r = self.reg.all[t.res].clone();
        let res = t.res;
        let outcome = semantics::finish_write(&r, &old, new, t.sub.as_deref(), |n, o| {
            self.defaults(res, n, o)
        });
        match outcome {
            Outcome::NoOp => old,
            Outcome::Modified(v) => self.commit(t.res, "MODIFIED", v, Some(old)),
            Outcome::Deleted(v) => self.commit(t.res, "DELETED", v, Some(old)),
        }
    }

    pub fn replace(&mut self, t: &Target, body: Value) -> Result<Arc<Value>, ApiError> {
        if !body.is_object() {
            return Err(ApiError::bad_request(
                "the body of a replace must be an object",
            ));
        }
        let old = self.existing(t, &body)?;
        let new = if t.sub.as_deref() == Some("scale") {
            semantics::from_scale(&self.reg.all[t.res], &old, &body)?
        } else {
            body
        };
        Ok(self.write(t, old, new))
    }

    pub fn patch(
        &mut self,
        t: &Target,
        ctype: &str,
        manager: Option<&str>,
        body: Value,
    ) -> Result<Arc<Value>, ApiError> {
        let sub = t.sub.clone().unwrap_or_default();
        let r = self.reg.all[t.res].clone();
        let new = match ctype {
            "application/apply-patch+yaml" => {
                let manager = manager.filter(|m| !m.is_empty()).ok_or_else(|| {
                    ApiError::invalid(
                        "PatchOptions.meta.k8s.io is invalid: fieldManager: Required value: is required for apply patch",
                    )
                })?;
                if !body.is_object() {
                    return Err(ApiError::bad_request("an apply patch must be an object"));
                }
                let akey = (self.key(t.res, t.ns.as_deref(), t.name()), manager.to_string(), sub.clone());
                if self.current(t.res, t.ns.as_deref(), t.name()).is_none() {
                    if !sub.is_empty() {
                        return Err(self.not_found(t.res, t.name()));
                    }
                    let mut body = body;
                    if !body["metadata"].is_object() {
                        body["metadata"] = json!({});
                    }
                    if body["metadata"].get("name").is_none() {
                        body["metadata"]["name"] = json!(t.name());
                    }
                    let created = self.create(t, body.clone(), false)?;
                    self.applied.insert(akey, body);
                    return Ok(created);
                }
                let old = self.existing(t, &body)?;
                let new = semantics::apply_patch(&old, &body, self.applied.get(&akey));
                self.applied.insert(akey, body);
                return Ok(self.write(t, old, new));
            }
            "application/json-patch+json" | "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
                let old = self.existing(t, &body)?;
                let base = if sub == "scale" { semantics::scale_view(&r, &old) } else { (*old).clone() };
                let new = if ctype == "application/json-patch+json" {
                    semantics::json_patch(&base, &body)?
                } else {
                    semantics::merge_patch(&base, &body)
                };
                let new = if sub == "scale" { semantics::from_scale(&r, &old, &new)? } else { new };
                (old, new)
            }
            other => {
                return Err(ApiError::new(
                    415,
                    "UnsupportedMediaType",
                    format!(
                        "the body of the request was in an unknown format - accepted media types include: \
                         application/json-patch+json, application/merge-patch+json, \
                         application/apply-patch+yaml (got {other:?})"
                    ),
                ))
            }
        };
        Ok(self.write(t, new.0, new.1))
    }

    pub fn delete(&mut self, t: &Target, body: &Value) -> Result<Arc<Value>, ApiError> {
        let old = self.get(t)?;
        let pre = &body["preconditions"];
        for (field, got) in [
            ("uid", &old["metadata"]["uid"]),
            ("resourceVersion", &old["metadata"]["resourceVersion"]),
        ] {
            if pre[field].as_str().is_some_and(|w| Some(w) != got.as_str()) {
                return Err(self.conflict(t));
            }
        }
        let meta = &old["metadata"];
        if meta["finalizers"].as_array().is_some_and(|f| !f.is_empty()) {
            if meta.get("deletionTimestamp").is_some_and(|d| !d.is_null()) {
                return Ok(old);
            }
            let mut new = (*old).clone();
            new["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
            new["metadata"]["deletionGracePeriodSeconds"] = json!(0);
            return Ok(self.commit(t.res, "MODIFIED", new, Some(old)));
        }
        Ok(self.commit(t.res, "DELETED", (*old).clone(), Some(old)))
    }
}

#[cfg(test)]
#[path = "verbs_tests.rs"]
mod tests;
