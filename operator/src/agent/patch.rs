//! Pure builder of the Node patch: the agent's labels, its annotation and (optionally) its taint,
//! compared with the Node as it is, so the agent writes only when something changed.

use super::sample::Snapshot;
use crate::api::labels;
use k8s_openapi::api::core::v1::{Node, Taint};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const TAINT_EFFECT: &str = "NoSchedule";

/// The parts of a Node the agent reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeView {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub resource_version: Option<String>,
}

impl From<&Node> for NodeView {
    fn from(n: &Node) -> Self {
        Self {
            labels: n.metadata.labels.clone().unwrap_or_default(),
            annotations: n.metadata.annotations.clone().unwrap_or_default(),
            taints: n
                .spec
                .as_ref()
                .and_then(|s| s.taints.clone())
                .unwrap_or_default(),
            resource_version: n.metadata.resource_version.clone(),
        }
    }
}

/// A label value (at most 63 of `[A-Za-z0-9._-]`, alphanumeric at both ends) from a GPU name:
/// "NVIDIA H100 80GB HBM3" → "NVIDIA-H100-80GB-HBM3".
pub fn label_value(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let joined = mapped
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let cut: String = joined.chars().take(63).collect();
    cut.trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

/// The agent's labels; `None` removes one (no GPU → no model and no healthy label).
pub fn desired_labels(snap: &Snapshot) -> BTreeMap<&'static str, Option<String>> {
    let present: Vec<_> = snap.present().collect();
    let mut models: Vec<&str> = present.iter().map(|g| g.model.as_str()).collect();
    models.sort();
    models.dedup();
    let model = match models.as_slice() {
        [] => None,
        [one] => Some(label_value(one)).filter(|v| !v.is_empty()),
        _ => Some("mixed".to_string()),
    };
    let healthy = (!snap.gpus.is_empty()).then(|| snap.healthy().to_string());
    BTreeMap::from([
        (labels::GPU_MODEL, model),
        (labels::GPU_COUNT, Some(present.len().to_string())),
        (labels::GPU_HEALTHY, healthy),
    ])
}

/// Compact per-GPU detail: inventory and problems only, no live readings (those are metrics), so
/// the annotation changes only when health or inventory does.
pub fn annotation(snap: &Snapshot) -> String {
    let gpus: Vec<Value> = snap
        .gpus
        .iter()
        .map(|g| {
            json!({
                "index": g.index,
                "uuid": g.uuid,
                "model": g.model,
                "memoryMiB": g.memory_total_bytes >> 20,
                "healthy": g.healthy(),
                "problems": g.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "driver": snap.driver.driver_version,
        "cuda": snap.driver.cuda_version,
        "healthy": snap.healthy(),
        "gpus": gpus,
    })
    .to_string()
}

fn is_ours(t: &Taint) -> bool {
    t.key == labels::GPU_UNHEALTHY_TAINT
}

/// The JSON merge patch that brings `node` to what `snap` says, or `None` when nothing changed.
/// Only the agent's own keys are touched. Taints are a plain list in a merge patch, so a taint
/// change sends the whole list with the `resourceVersion` read, and a concurrent writer makes it
/// fail with a conflict (retried next tick) instead of being overwritten.
pub fn node_patch(node: &NodeView, snap: &Snapshot, taint_unhealthy: bool) -> Option<Value> {
    let mut label_patch = Map::new();
    for (key, want) in desired_labels(snap) {
        if node.labels.get(key) != want.as_ref() {
            label_patch.insert(key.to_string(), want.map_or(Value::Null, Value::String));
        }
    }
    let mut metadata = Map::new();
    if !label_patch.is_empty() {
        metadata.insert("labels".into(), Value::Object(label_patch));
    }
    let ann = annotation(snap);
    if node.annotations.get(labels::GPU_ANNOTATION) != Some(&ann) {
        metadata.insert(
            "annotations".into(),
            json!({ (labels::GPU_ANNOTATION): ann }),
        );
    }

    let want_taint = taint_unhealthy && !snap.healthy();
    let mut patch = Map::new();
    if want_taint != node.taints.iter().any(is_ours) {
        let mut taints: Vec<Taint> = node
            .taints
            .iter()
            .filter(|t| !is_ours(t))
            .cloned()
            .collect();
        if want_taint {
            taints.push(Taint {
                key: labels::GPU_UNHEALTHY_TAINT.into(),
                effect: TAINT_EFFECT.into(),
                ..Taint::default()
            });
        }
        patch.insert("spec".into(), json!({ "taints": taints }));
        if let Some(rv) = &node.resource_version {
            metadata.insert("resourceVersion".into(), Value::String(rv.clone()));
        }
    }
    if !metadata.is_empty() {
        patch.insert("metadata".into(), Value::Object(metadata));
    }
    (!patch.is_empty()).then_some(Value::Object(patch))
}

#[cfg(test)]
#[path = "patch_tests.rs"]
mod tests;
