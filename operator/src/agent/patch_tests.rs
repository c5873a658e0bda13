use super::*;
use crate::agent::fake::merge;
use crate::agent::health::Problem;
use crate::agent::testutil::{gpu, snapshot, H100};
use serde_json::json;

const GPU: &str = "tensorfleet.io/gpu";

fn node(labels: Value, taints: Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "n1", "resourceVersion": "7",
                     "labels": labels, "annotations": {"other": "x"}},
        "spec": {"taints": taints},
    })
}

fn view(v: &Value) -> NodeView {
    NodeView::from(&serde_json::from_value::<Node>(v.clone()).unwrap())
}

fn taint_keys(v: &Value) -> Vec<String> {
    v["spec"]["taints"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| t["key"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn label_values() {
    for (model, want) in [
        ("NVIDIA H100 80GB HBM3", "NVIDIA-H100-80GB-HBM3"),
        ("NVIDIA GeForce RTX 4090", "NVIDIA-GeForce-RTX-4090"),
        (" (weird) name/1 ", "weird-name-1"),
        (&"A".repeat(70), &"A".repeat(63)),
        ("***", ""),
    ] {
        assert_eq!(label_value(model), want, "{model}");
    }
}

#[test]
fn table() {
    let healthy2 = snapshot(vec![
        gpu(0, "GPU-a", H100, vec![]),
        gpu(1, "GPU-b", H100, vec![]),
    ]);
    let hot = snapshot(vec![
        gpu(0, "GPU-a", H100, vec![Problem::Overheating { limit: 90 }]),
        gpu(1, "GPU-b", H100, vec![]),
    ]);
    let lost = snapshot(vec![
        gpu(0, "GPU-a", H100, vec![]),
        gpu(1, "GPU-b", H100, vec![Problem::Lost]),
    ]);
    let mixed = snapshot(vec![
        gpu(0, "GPU-a", H100, vec![]),
        gpu(1, "GPU-c", "NVIDIA A100-SXM4-80GB", vec![]),
    ]);
    let none = snapshot(vec![]);
    let ours_labels = json!({"kubernetes.io/hostname": "n1", "tensorfleet.io/gpu.model": "NVIDIA-H100-80GB-HBM3",
        "tensorfleet.io/gpu.count": "2", "tensorfleet.io/gpu.healthy": "true"});
    let other_taint = json!([{"key": "dedicated", "value": "miners", "effect": "NoSchedule"}]);
    let both_taints = json!([{"key": "dedicated", "value": "miners", "effect": "NoSchedule"},
        {"key": "tensorfleet.io/gpu-unhealthy", "effect": "NoSchedule"}]);

    // name, node before, snapshot, taint flag, want labels (model, count, healthy), want taints
    type Want = (Option<&'static str>, &'static str, Option<&'static str>);
    type Case<'a> = (&'a str, Value, &'a Snapshot, bool, Want, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "fresh node, healthy",
            node(json!({}), json!(null)),
            &healthy2,
            false,
            (Some("NVIDIA-H100-80GB-HBM3"), "2", Some("true")),
            vec![],
        ),
        (
            "overheating, no taint flag",
            node(ours_labels.clone(), other_taint.clone()),
            &hot,
            false,
            (Some("NVIDIA-H100-80GB-HBM3"), "2", Some("false")),
            vec!["dedicated"],
        ),
        (
            "overheating, taint flag keeps other taints",
            node(ours_labels.clone(), other_taint.clone()),
            &hot,
            true,
            (Some("NVIDIA-H100-80GB-HBM3"), "2", Some("false")),
            vec!["dedicated", "tensorfleet.io/gpu-unhealthy"],
        ),
        (
            "healed: our taint removed, others kept",
            node(ours_labels.clone(), both_taints.clone()),
            &healthy2,
            true,
            (Some("NVIDIA-H100-80GB-HBM3"), "2", Some("true")),
            vec!["dedicated"],
        ),
        (
            "flag turned off: stale taint removed",
            node(ours_labels.clone(), both_taints),
            &hot,
            false,
            (Some("NVIDIA-H100-80GB-HBM3"), "2", Some("false")),
            vec!["dedicated"],
        ),
        (
            "lost GPU: count drops, unhealthy",
            node(ours_labels.clone(), json!(null)),
            &lost,
            false,
            (Some("NVIDIA-H100-80GB-HBM3"), "1", Some("false")),
            vec![],
        ),
        (
            "mixed models",
            node(json!({}), json!(null)),
            &mixed,
            false,
            (Some("mixed"), "2", Some("true")),
            vec![],
        ),
        (
            "no GPUs: count 0, no model, no healthy=false",
            node(ours_labels, json!(null)),
            &none,
            true,
            (None, "0", None),
            vec![],
        ),
    ];
    for (name, before, snap, taint, (model, count, healthy), taints) in cases {
        let patch =
            node_patch(&view(&before), snap, taint).unwrap_or_else(|| panic!("{name}: no patch"));
        let mut after = before.clone();
        merge(&mut after, &patch);
        let l = &after["metadata"]["labels"];
        assert_eq!(l["tensorfleet.io/gpu.model"].as_str(), model, "{name}");
        assert_eq!(
            l["tensorfleet.io/gpu.count"].as_str(),
            Some(count),
            "{name}"
        );
        assert_eq!(l["tensorfleet.io/gpu.healthy"].as_str(), healthy, "{name}");
        assert_eq!(taint_keys(&after), taints, "{name}");
        assert_eq!(
            after["metadata"]["annotations"]["other"], "x",
            "{name}: foreign annotation kept"
        );
        let ann: Value =
            serde_json::from_str(after["metadata"]["annotations"][GPU].as_str().unwrap()).unwrap();
        assert_eq!(
            ann["gpus"].as_array().unwrap().len(),
            snap.gpus.len(),
            "{name}"
        );
        // A taint change carries the resourceVersion read, so a concurrent change conflicts.
        let touches_taints = patch.get("spec").is_some();
        assert_eq!(
            patch["metadata"].get("resourceVersion").is_some(),
            touches_taints,
            "{name}"
        );
        // Applying the same state again is a no-op: the agent writes only on change.
        assert_eq!(
            node_patch(&view(&after), snap, taint),
            None,
            "{name}: second patch"
        );
    }
}

#[test]
fn foreign_labels_untouched_and_annotation_compact() {
    let before = node(
        json!({"kubernetes.io/hostname": "n1", "gpu": "mine"}),
        json!(null),
    );
    let snap = snapshot(vec![gpu(0, "GPU-a", H100, vec![Problem::Xid(79)])]);
    let patch = node_patch(&view(&before), &snap, false).unwrap();
    let labels = patch["metadata"]["labels"].as_object().unwrap();
    assert!(
        labels.keys().all(|k| k.starts_with("tensorfleet.io/gpu.")),
        "{labels:?}"
    );
    let ann = patch["metadata"]["annotations"][GPU].as_str().unwrap();
    assert!(!ann.contains('\n') && !ann.contains(": "), "compact: {ann}");
    assert_eq!(
        serde_json::from_str::<Value>(ann).unwrap(),
        json!({"driver": "550.54.15", "cuda": "12.4", "healthy": false, "gpus": [
            {"index": 0, "uuid": "GPU-a", "model": H100, "memoryMiB": 81920, "healthy": false,
             "problems": ["xid-79"]}]})
    );
}

#[test]
fn live_readings_do_not_cause_patches() {
    let mut a = gpu(0, "GPU-a", H100, vec![]);
    a.reading = Some(crate::agent::testutil::reading(0, "GPU-a"));
    let mut before = node(json!({}), json!(null));
    let first = node_patch(&view(&before), &snapshot(vec![a.clone()]), false).unwrap();
    merge(&mut before, &first);
    if let Some(r) = a.reading.as_mut() {
        r.temperature_celsius = Some(71);
        r.utilization = Some(0.2);
    }
    assert_eq!(node_patch(&view(&before), &snapshot(vec![a]), false), None);
}
