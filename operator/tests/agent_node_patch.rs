//! The agent binary (fake devices, cargo feature `fake-gpu`) against a minimal Node API over
//! HTTP: the requests its Kubernetes client really sends (path, merge-patch content type, field
//! manager, resourceVersion precondition on taint changes), one patch per change, and the
//! healthy → unhealthy → healthy cycle driven by rewriting the fake-devices file.
#![cfg(feature = "fake-gpu")]

use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode},
    routing::get,
    Router,
};

/// axum is built without its `json` feature here; this is all the JSON reply needs.
type Reply = (StatusCode, [(&'static str, &'static str); 1], String);

fn reply(code: StatusCode, v: &Value) -> Reply {
    (code, [("content-type", "application/json")], v.to_string())
}
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tensorfleet::agent::fake::merge;

mod common;
use common::{free_port, kubeconfig, scratch_dir, terminate};

#[derive(Default)]
struct Api {
    node: Value,
    /// (query, content type, body) of every PATCH.
    patches: Vec<(String, String, Value)>,
    gets: usize,
    conflicts: usize,
    /// Simulates another writer: the next GET is answered, then the Node changes.
    race_next_get: bool,
}

fn bump_rv(node: &mut Value) {
    let rv = node["metadata"]["resourceVersion"].as_str().unwrap();
    let next = rv.parse::<u64>().unwrap() + 1;
    node["metadata"]["resourceVersion"] = json!(next.to_string());
}

type Shared = Arc<Mutex<Api>>;

async fn get_node(State(api): State<Shared>) -> Reply {
    let mut api = api.lock().unwrap();
    api.gets += 1;
    let seen = api.node.clone();
    if std::mem::take(&mut api.race_next_get) {
        bump_rv(&mut api.node);
    }
    reply(StatusCode::OK, &seen)
}

async fn patch_node(
    State(api): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let patch: Value = serde_json::from_slice(&body).unwrap();
    let ctype = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let mut api = api.lock().unwrap();
    api.patches
        .push((query.unwrap_or_default(), ctype, patch.clone()));
    let current_rv = api.node["metadata"]["resourceVersion"].clone();
    if let Some(rv) = patch["metadata"].get("resourceVersion") {
        if *rv != current_rv {
            api.conflicts += 1;
            let status = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                "reason": "Conflict", "code": 409, "message": "resourceVersion mismatch"});
            return reply(StatusCode::CONFLICT, &status);
        }
    }
    merge(&mut api.node, &patch);
    bump_rv(&mut api.node);
    reply(StatusCode::OK, &api.node)
}

fn devices(temperature: u32) -> String {
    json!({"driver": {"driverVersion": "550.54.15", "cudaVersion": "12.4"},
        "ticks": [{"devices": [
            {"uuid": "GPU-a", "model": "NVIDIA H100 80GB HBM3", "memoryTotalBytes": 85899345920u64,
             "temperatureCelsius": temperature},
            {"uuid": "GPU-b", "model": "NVIDIA H100 80GB HBM3", "memoryTotalBytes": 85899345920u64,
             "temperatureCelsius": 55}]}]})
    .to_string()
}

async fn wait_for(api: &Shared, what: &str, cond: impl Fn(&Api) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond(&api.lock().unwrap()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn taint_keys(node: &Value) -> Vec<&str> {
    let taints = node["spec"]["taints"].as_array().unwrap();
    taints.iter().map(|t| t["key"].as_str().unwrap()).collect()
}

fn label(api: &Api, key: &str) -> Option<String> {
    api.node["metadata"]["labels"][key]
        .as_str()
        .map(String::from)
}

#[tokio::test(flavor = "multi_thread")]
async fn agent_patches_its_node_once_per_change() {
    let api: Shared = Arc::new(Mutex::new(Api {
        node: json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "gpu-1", "resourceVersion": "100",
                         "labels": {"kubernetes.io/hostname": "gpu-1"}},
            "spec": {"taints": [{"key": "dedicated", "value": "miners", "effect": "NoSchedule"}]}}),
        ..Api::default()
    }));
    let app = Router::new()
        .route("/api/v1/nodes/gpu-1", get(get_node).patch(patch_node))
        .with_state(api.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = scratch_dir("node");
    let kubeconfig = kubeconfig(&dir, &format!("http://127.0.0.1:{port}"));
    let fake = dir.join("gpus.json");
    std::fs::write(&fake, devices(60)).unwrap();
    let metrics_port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tensorfleet"))
        .args(["agent", "--interval", "1", "--taint-unhealthy"])
        .args(["--metrics-addr", &format!("127.0.0.1:{metrics_port}")])
        .arg("--fake-devices")
        .arg(&fake)
        .env("NODE_NAME", "gpu-1")
        .env("KUBECONFIG", &kubeconfig)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    wait_for(&api, "healthy label", |a| {
        label(a, "tensorfleet.io/gpu.healthy").as_deref() == Some("true")
    })
    .await;
    {
        let a = api.lock().unwrap();
        assert_eq!(a.patches.len(), 1);
        let (query, ctype, patch) = &a.patches[0];
        assert_eq!(ctype, "application/merge-patch+json");
        assert!(query.contains("fieldManager=tensorfleet-agent"), "{query}");
        assert_eq!(patch["metadata"]["labels"]["tensorfleet.io/gpu.count"], "2");
        assert_eq!(
            label(&a, "tensorfleet.io/gpu.model").as_deref(),
            Some("NVIDIA-H100-80GB-HBM3")
        );
        assert_eq!(
            label(&a, "kubernetes.io/hostname").as_deref(),
            Some("gpu-1")
        );
        assert!(patch.get("spec").is_none(), "no taint change while healthy");
    }
    // Unchanged ticks read the Node but do not write it.
    let gets = api.lock().unwrap().gets;
    wait_for(&api, "two more reads", |a| a.gets >= gets + 2).await;
    assert_eq!(api.lock().unwrap().patches.len(), 1);

    std::fs::write(&fake, devices(95)).unwrap();
    wait_for(&api, "unhealthy label", |a| {
        label(a, "tensorfleet.io/gpu.healthy").as_deref() == Some("false")
    })
    .await;
    {
        let a = api.lock().unwrap();
        assert_eq!(a.patches.len(), 2);
        let patch = &a.patches[1].2;
        assert_eq!(
            patch["metadata"]["resourceVersion"], "101",
            "taint change carries the rv read"
        );
        assert_eq!(
            taint_keys(&a.node),
            ["dedicated", "tensorfleet.io/gpu-unhealthy"]
        );
        let ann: Value = serde_json::from_str(
            a.node["metadata"]["annotations"]["tensorfleet.io/gpu"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(ann["gpus"][0]["problems"], json!(["temperature>=90C"]));
    }

    // Someone else changes the Node between the agent's read and write: 409, retried next tick.
    api.lock().unwrap().race_next_get = true;
    std::fs::write(&fake, devices(60)).unwrap();
    wait_for(&api, "healthy again", |a| {
        label(a, "tensorfleet.io/gpu.healthy").as_deref() == Some("true")
    })
    .await;
    {
        let a = api.lock().unwrap();
        assert_eq!(
            taint_keys(&a.node),
            ["dedicated"],
            "our taint removed, the other kept"
        );
        assert_eq!(a.conflicts, 1);
        assert_eq!(
            a.patches.len(),
            4,
            "one write per change, plus the conflicted one"
        );
    }

    let status = tokio::task::block_in_place(|| terminate(&mut child));
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(dir);
}
