//! Benchmark extras under /bench/: bulk load, the request log, convergence, and the built-in
//! kubelet (a StatefulSet scaled to >= 1 gets a Running, Ready `<sts>-0`; scaled to 0, none).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;
use base64::Engine;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::server::{query, value_response, Shared};
use crate::store::State;
use crate::verbs::{now_rfc3339, Target};

pub async fn handle(shared: &Arc<Shared>, rest: &str, req: Request) -> Response {
    let q = query(req.uri().query());
    let out = match rest {
        "load" => match axum::body::to_bytes(req.into_body(), 1 << 30).await {
            Ok(bytes) => match serde_json::from_slice::<Vec<Value>>(&bytes) {
                Ok(objs) => load(&mut shared.state.lock().unwrap(), objs),
                Err(e) => Err(ApiError::bad_request(format!(
                    "a JSON array of objects: {e}"
                ))),
            },
            Err(e) => Err(ApiError::bad_request(e.to_string())),
        },
        "requests" => {
            let since: usize = q.get("since").and_then(|s| s.parse().ok()).unwrap_or(0);
            let log = shared.log.lock().unwrap();
            Ok(json!(log.get(since..).unwrap_or(&[])))
        }
        "requests/count" => {
            let log = shared.log.lock().unwrap();
            let mut by_verb: BTreeMap<&str, usize> = BTreeMap::new();
            for r in log.iter() {
                *by_verb.entry(r.verb).or_default() += 1;
            }
            Ok(json!({"total": log.len(), "by_verb": by_verb}))
        }
        "converged" => Ok(converged(
            &shared.state.lock().unwrap(),
            q.get("namespace").map(String::as_str),
        )),
        _ => Err(ApiError::no_route()),
    };
    match out {
        Ok(v) => value_response(200, &v),
        Err(e) => value_response(e.code, &e.body()),
    }
}

/// Creates each object in order (status kept, Secret `stringData` folded into `data`).
pub fn load(st: &mut State, objs: Vec<Value>) -> Result<Value, ApiError> {
    let mut created = 0;
    for mut obj in objs {
        let api_version = obj["apiVersion"].as_str().unwrap_or("");
        let kind = obj["kind"].as_str().unwrap_or("");
        let res = st.reg.by_kind(api_version, kind).ok_or_else(|| {
            ApiError::bad_request(format!("no served resource for {api_version} {kind}"))
        })?;
        if let Some(Value::Object(string_data)) =
            obj.as_object_mut().and_then(|o| o.remove("stringData"))
        {
            let engine = base64::engine::general_purpose::STANDARD;
            if !obj["data"].is_object() {
                obj["data"] = json!({});
            }
            for (k, v) in string_data {
                obj["data"][k] = json!(engine.encode(v.as_str().unwrap_or("")));
            }
        }
        let t = Target {
            res,
            ns: obj["metadata"]["namespace"].as_str().map(String::from),
            ..Target::default()
        };
        let t = Target {
            ns: t.ns.or_else(|| Some("default".into())),
            ..t
        };
        let made = st.create(&t, obj, true)?;
        kubelet_sync(
            st,
            &Target {
                name: made["metadata"]["name"].as_str().map(String::from),
                ..t
            },
        );
        created += 1;
    }
    Ok(json!({"created": created}))
}

/// As `neuron_converged` in tests/bench/fleet_run.py.
pub fn neuron_converged(n: &Value) -> bool {
    let st = &n["status"];
    let ready = st["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    });
    st["phase"] == "Running"
        && ready
        && !st["chain"].is_null()
        && st.get("observedGeneration").unwrap_or(&Value::Null)
            == n["metadata"].get("generation").unwrap_or(&Value::Null)
}

fn converged(st: &State, ns: Option<&str>) -> Value {
    let Some(res) = st.reg.find("tensorfleet.io", "v1alpha1", "neurons") else {
        return json!({"converged": 0, "neurons": 0});
    };
    let (mut done, mut all) = (0, 0);
    for n in st.range(res, ns, None) {
        all += 1;
        done += neuron_converged(n) as usize;
    }
    json!({"converged": done, "neurons": all})
}

/// After a write to a StatefulSet: `<sts>-0` exists exactly when `spec.replicas >= 1`. Writes go
/// straight to the store (not the request log) and reach watchers as any write.
pub fn kubelet_sync(st: &mut State, t: &Target) {
    let r = &st.reg.all[t.res];
    if !st.kubelet || r.group != "apps" || r.plural != "statefulsets" {
        return;
    }
    let Some(name) = t.name.as_deref() else {
        return;
    };
    let Some(pods) = st.reg.find("", "v1", "pods") else {
        return;
    };
    let pod_name = format!("{name}-0");
    let pod = Target {
        res: pods,
        ns: t.ns.clone(),
        name: Some(pod_name.clone()),
        sub: None,
    };
    let sts = st.current(t.res, t.ns.as_deref(), name);
    let replicas = sts
        .as_ref()
        .and_then(|s| s["spec"]["replicas"].as_i64())
        .unwrap_or(0);
    let exists = st.current(pods, t.ns.as_deref(), &pod_name).is_some();
    match sts {
        Some(sts) if replicas >= 1 && !exists => {
            let node = st
                .reg
                .find("", "v1", "nodes")
                .and_then(|n| st.range(n, None, None).next().cloned());
            let node = node.and_then(|n| n["metadata"]["name"].as_str().map(String::from));
            let _ = st.create(&pod, pod_for(&sts, &pod_name, node.as_deref()), true);
        }
        _ if replicas == 0 && exists => {
            let _ = st.delete(&pod, &Value::Null);
        }
        _ => {}
    }
}

/// The Pod a StatefulSet controller and kubelet would make (tests/e2e/cluster.py
/// `kubelet_create_pod_for`), Running and Ready.
fn pod_for(sts: &Value, name: &str, node: Option<&str>) -> Value {
    let template = &sts["spec"]["template"];
    let mut labels = template["metadata"]["labels"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    labels.insert("statefulset.kubernetes.io/pod-name".into(), json!(name));
    let mut spec = template["spec"].clone();
    if let Some(node) = node {
        spec["nodeName"] = json!(node);
    }
    let now = now_rfc3339();
    let conditions: Vec<Value> = ["Initialized", "Ready", "ContainersReady", "PodScheduled"]
        .iter()
        .map(|t| json!({"type": t, "status": "True", "lastTransitionTime": now}))
        .collect();
    let containers: Vec<Value> = spec["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            json!({"name": c["name"], "image": c["image"].as_str().unwrap_or(""), "imageID": "", "ready": true,
                   "restartCount": 0, "started": true, "state": {"running": {"startedAt": now}}})
        })
        .collect();
    let meta = &sts["metadata"];
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "namespace": meta["namespace"], "labels": labels,
            "annotations": template["metadata"]["annotations"].as_object().cloned().unwrap_or_default(),
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": meta["name"],
                                 "uid": meta["uid"], "controller": true, "blockOwnerDeletion": true}],
        },
        "spec": spec,
        "status": {"phase": "Running", "hostIP": "10.0.0.1", "podIP": "10.1.0.7", "startTime": now,
                   "conditions": conditions, "containerStatuses": containers},
    })
}
