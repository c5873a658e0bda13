use serde_json::{json, Value};

use super::*;
use crate::registry::Registry;

fn neurons() -> Resource {
    let reg = Registry::new(
        &crate::registry::load_crds(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../crds"
        )))
        .unwrap(),
    );
    reg.all.into_iter().find(|r| r.plural == "neurons").unwrap()
}

fn stored() -> Value {
    json!({"apiVersion": "tensorfleet.io/v1alpha1", "kind": "Neuron",
           "metadata": {"name": "n", "namespace": "ns", "uid": "u1", "resourceVersion": "7",
                        "generation": 3, "creationTimestamp": "t", "labels": {"a": "1"}},
           "spec": {"image": "x:1", "role": "miner"},
           "status": {"phase": "Running"}})
}

#[test]
fn merge_patch_cases() {
    let cases = [
        (
            json!({"a": 1, "b": {"c": 2}}),
            json!({"b": {"d": 3}}),
            json!({"a": 1, "b": {"c": 2, "d": 3}}),
        ),
        (json!({"a": 1, "b": 2}), json!({"a": null}), json!({"b": 2})),
        (json!({"l": [1, 2]}), json!({"l": [3]}), json!({"l": [3]})),
        (json!({"a": {"b": 1}}), json!({"a": 5}), json!({"a": 5})),
        (
            json!({}),
            json!({"a": {"b": null, "c": 1}}),
            json!({"a": {"c": 1}}),
        ),
    ];
    for (target, patch, want) in cases {
        assert_eq!(merge_patch(&target, &patch), want, "{patch}");
    }
}

#[test]
fn json_patch_test_ops() {
    let doc = json!({"metadata": {"finalizers": ["f"]}});
    let ok = json!([{"op": "test", "path": "/metadata/finalizers", "value": ["f"]},
                    {"op": "remove", "path": "/metadata/finalizers/0"}]);
    assert_eq!(
        json_patch(&doc, &ok).unwrap(),
        json!({"metadata": {"finalizers": []}})
    );
    // A missing path compares as null (kube's finalizer helper tests for that).
    let absent = json!([{"op": "test", "path": "/metadata/deletionTimestamp", "value": null},
                        {"op": "add", "path": "/metadata/x", "value": 1}]);
    assert_eq!(json_patch(&doc, &absent).unwrap()["metadata"]["x"], 1);
    let failing = json!([{"op": "test", "path": "/metadata/finalizers", "value": []}]);
    assert_eq!(json_patch(&doc, &failing).unwrap_err().code, 422);
    let bad_path = json!([{"op": "remove", "path": "/nope/0"}]);
    assert_eq!(json_patch(&doc, &bad_path).unwrap_err().code, 422);
    assert_eq!(
        json_patch(&doc, &json!({"op": "add"})).unwrap_err().code,
        400
    );
}

#[test]
fn apply_prunes_fields_the_manager_dropped() {
    let cases = [
        // (target, applied now, applied before, want)
        (
            json!({"a": 1, "b": 2, "o": 9}),
            json!({"a": 1}),
            Some(json!({"a": 1, "b": 2})),
            json!({"a": 1, "o": 9}),
        ),
        (
            json!({"s": {"x": 1, "y": 2}}),
            json!({"s": {"x": 1}}),
            Some(json!({"s": {"x": 1, "y": 2}})),
            json!({"s": {"x": 1}}),
        ),
        (
            json!({"a": 1}),
            json!({"b": 2}),
            None,
            json!({"a": 1, "b": 2}),
        ),
        (
            json!({"apiVersion": "v", "a": 1}),
            json!({"a": 2}),
            Some(json!({"apiVersion": "v"})),
            json!({"apiVersion": "v", "a": 2}),
        ),
        (
            json!({"l": [1, 2]}),
            json!({"l": [3]}),
            Some(json!({"l": [1]})),
            json!({"l": [3]}),
        ),
    ];
    for (target, applied, before, want) in cases {
        assert_eq!(
            apply_patch(&target, &applied, before.as_ref()),
            want,
            "{applied}"
        );
    }
}

#[test]
fn generation_bumps_only_on_spec() {
    let cases = [
        (json!({"spec": {"image": "x:2"}}), true),
        (
            json!({"spec": {"image": "x:1"}, "metadata": {"labels": {"a": "2"}}}),
            false,
        ),
        (
            json!({"spec": {"image": "x:1"}, "status": {"phase": "Failed"}}),
            false,
        ),
        (json!({"spec": {"image": "x:1"}, "extra": 1}), true),
    ];
    let old = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"image": "x:1"}, "status": {}});
    for (new, want) in cases {
        assert_eq!(spec_changed(&old, &new), want, "{new}");
    }
}

fn write(new: Value, sub: Option<&str>) -> Outcome {
    finish_write(&neurons(), &stored(), new, sub, |_, _| {})
}

#[test]
fn no_op_writes_commit_nothing() {
    let mut same = stored();
    same["metadata"]["resourceVersion"] = json!("1");
    same["metadata"]["uid"] = json!("other");
    same["status"] = json!({"phase": "ignored on the main resource"});
    assert_eq!(write(same, None), Outcome::NoOp);
    assert_eq!(
        write(json!({"status": {"phase": "Running"}}), Some("status")),
        Outcome::NoOp
    );
    let mut emptied = stored();
    emptied["metadata"]["finalizers"] = json!([]);
    assert_eq!(write(emptied, None), Outcome::NoOp);
}

#[test]
fn writes_keep_what_they_may_not_change() {
    let mut spec = stored();
    spec["spec"]["image"] = json!("x:2");
    let Outcome::Modified(v) = write(spec, None) else {
        panic!("a spec change commits")
    };
    assert_eq!(
        (v["metadata"]["generation"].clone(), v["status"].clone()),
        (json!(4), json!({"phase": "Running"}))
    );
    let Outcome::Modified(v) = write(
        json!({"status": {"phase": "Failed"}, "spec": {"image": "no"}}),
        Some("status"),
    ) else {
        panic!("a status change commits")
    };
    assert_eq!(
        (
            v["metadata"]["generation"].clone(),
            v["spec"]["image"].clone()
        ),
        (json!(3), json!("x:1"))
    );
    assert_eq!(v["status"]["phase"], "Failed");
    let mut label = stored();
    label["metadata"]["labels"]["a"] = json!("2");
    let Outcome::Modified(v) = write(label, None) else {
        panic!("a label change commits")
    };
    assert_eq!(v["metadata"]["generation"], 3);
}

#[test]
fn finalizers_emptied_after_deletion_delete() {
    let mut old = stored();
    old["metadata"]["deletionTimestamp"] = json!("t");
    old["metadata"]["finalizers"] = json!(["f"]);
    let mut new = old.clone();
    new["metadata"]["finalizers"] = json!([]);
    assert!(matches!(
        finish_write(&neurons(), &old, new, None, |_, _| {}),
        Outcome::Deleted(_)
    ));
}

#[test]
fn scale_round_trip() {
    let reg = Registry::new(&[]);
    let sts = reg.all.iter().find(|r| r.plural == "statefulsets").unwrap();
    let obj =
        json!({"metadata": {"name": "s"}, "spec": {"replicas": 1}, "status": {"replicas": 1}});
    let view = scale_view(sts, &obj);
    assert_eq!(
        (view["spec"]["replicas"].clone(), view["kind"].clone()),
        (json!(1), json!("Scale"))
    );
    let back = from_scale(sts, &obj, &json!({"spec": {"replicas": 0}})).unwrap();
    assert_eq!(back["spec"]["replicas"], 0);
    assert_eq!(
        from_scale(sts, &obj, &json!({"spec": {"replicas": -1}}))
            .unwrap_err()
            .code,
        422
    );
}
