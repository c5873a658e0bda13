//! What the watch caches keep of the children they hold. A fleet caches a StatefulSet and a pod
//! per Neuron; as typed structs, a pod's spec and a StatefulSet's pod template cost ~9 KiB each
//! (measured with heaptrack at 1,000 Neurons: 24 of the 49 MiB live), for fields the reconcile
//! never reads (of a pod's spec, only `nodeName`) or only compares (a StatefulSet's pod spec,
//! against the one we would apply: `apply::apply_over`). So a cached pod keeps its node name of
//! its spec, a cached StatefulSet keeps its pod spec as JSON text (a tenth of the struct) in an
//! annotation that exists only in memory, and no cached object keeps its managedFields.
//!
//! Nothing read from these caches is ever written back as it is: `apply_over` restores the pod
//! spec before comparing, and returns the cached copy only to be dropped.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Pod, PodSpec};
use kube::Resource;

/// The in-memory annotation holding a cached StatefulSet's pod spec (JSON).
pub const CACHED_POD_SPEC: &str = "tensorfleet.io/cached-pod-spec";

/// Every cached object: managedFields are the API server's bookkeeping, never read here.
pub fn object<K: Resource>(o: &mut K) {
    o.meta_mut().managed_fields = None;
}

/// A cached pod: its metadata, status, and of its spec the node it runs on.
pub fn pod(p: &mut Pod) {
    object(p);
    if let Some(spec) = p.spec.take() {
        p.spec = Some(PodSpec {
            node_name: spec.node_name,
            ..Default::default()
        });
    }
}

/// A cached StatefulSet: its pod spec moved into `CACHED_POD_SPEC` as JSON text.
pub fn statefulset(s: &mut StatefulSet) {
    object(s);
    let Some(template) = s.spec.as_mut().map(|spec| &mut spec.template) else {
        return;
    };
    let Some(pod_spec) = template.spec.take() else {
        return;
    };
    let text = serde_json::to_string(&pod_spec).expect("a PodSpec serializes");
    s.meta_mut()
        .annotations
        .get_or_insert_with(Default::default)
        .insert(CACHED_POD_SPEC.into(), text);
}

/// `v` (a cached object as JSON) as the API server holds it: a slimmed StatefulSet's pod spec
/// back in place and the annotation gone. Anything else is left as it is.
pub fn restore(v: &mut serde_json::Value) {
    let Some(text) = v
        .pointer_mut("/metadata/annotations")
        .and_then(|a| a.as_object_mut())
        .and_then(|a| a.remove(CACHED_POD_SPEC))
    else {
        return;
    };
    let Some(spec) = text
        .as_str()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
    else {
        return;
    };
    if let Some(template) = v
        .pointer_mut("/spec/template")
        .and_then(|t| t.as_object_mut())
    {
        template.insert("spec".into(), spec);
    }
    if v.pointer("/metadata/annotations")
        .and_then(|a| a.as_object())
        .is_some_and(|a| a.is_empty())
    {
        if let Some(meta) = v.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            meta.remove("annotations");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::testutil::{neuron, subnet};

    fn built_statefulset() -> StatefulSet {
        let n = neuron("miner-0", "sn21", "miner");
        let subnet = subnet("sn21", &[]);
        let external = crate::children::ExternalAxon::default();
        crate::children::neuron_children(&n, &subnet, None, 1, external, false).statefulset
    }

    #[test]
    fn a_slimmed_statefulset_compares_as_the_original() {
        let original = built_statefulset();
        let mut cached = original.clone();
        cached.metadata.managed_fields = Some(vec![Default::default()]);
        statefulset(&mut cached);
        assert!(cached.spec.as_ref().unwrap().template.spec.is_none());
        assert!(cached.metadata.managed_fields.is_none());
        let mut v = serde_json::to_value(&cached).unwrap();
        restore(&mut v);
        assert_eq!(v, serde_json::to_value(&original).unwrap());
        // What the reconcile compares: the desired object is contained in the restored one.
        let want = serde_json::to_value(&original).unwrap();
        assert!(crate::controller::apply::contains(&v, &want));
        // Without restoring, the comparison would see the pod spec missing (and apply again).
        let slim = serde_json::to_value(&cached).unwrap();
        assert!(!crate::controller::apply::contains(&slim, &want));
    }

    #[test]
    fn a_slimmed_pod_keeps_its_node_and_status() {
        let mut p: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "miner-0-0", "managedFields": [{"manager": "kubelet"}]},
            "spec": {"nodeName": "gpu-1", "containers": [{"name": "neuron", "image": "img:1"}]},
            "status": {"phase": "Running"},
        }))
        .unwrap();
        pod(&mut p);
        let spec = p.spec.as_ref().unwrap();
        assert_eq!(spec.node_name.as_deref(), Some("gpu-1"));
        assert!(spec.containers.is_empty());
        assert!(p.metadata.managed_fields.is_none());
        assert_eq!(p.status.unwrap().phase.as_deref(), Some("Running"));
    }

    #[test]
    fn restore_leaves_other_objects_alone() {
        let mut v = serde_json::json!({"metadata": {"annotations": {"a": "b"}}, "spec": {}});
        let before = v.clone();
        restore(&mut v);
        assert_eq!(v, before);
    }
}
