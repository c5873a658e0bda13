use std::sync::Arc;

use serde_json::{json, Value};

use super::Target;
use crate::list;
use crate::registry::Registry;
use crate::selector::Filter;
use crate::store::State;

fn state() -> (State, usize) {
    let reg = Arc::new(Registry::new(&[]));
    let cm = reg.find("", "v1", "configmaps").unwrap();
    (State::new(reg, false), cm)
}

fn at(res: usize, ns: &str, name: Option<&str>) -> Target {
    Target {
        res,
        ns: Some(ns.into()),
        name: name.map(String::from),
        sub: None,
    }
}

fn rv(v: &Value) -> String {
    v["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string()
}

fn cm(name: &str) -> Value {
    json!({"metadata": {"name": name, "labels": {"app": name}}, "data": {"k": "v"}})
}

#[test]
fn create_fills_metadata_and_refuses_duplicates() {
    let (mut st, res) = state();
    let made = st.create(&at(res, "a", None), cm("x"), false).unwrap();
    let meta = &made["metadata"];
    assert_eq!(
        (meta["namespace"].as_str(), meta["generation"].as_i64()),
        (Some("a"), Some(1))
    );
    assert!(meta["uid"].is_string() && meta["creationTimestamp"].is_string());
    assert_eq!(
        (made["kind"].as_str(), rv(&made)),
        (Some("ConfigMap"), "1".into())
    );
    assert_eq!(
        st.create(&at(res, "a", None), cm("x"), false)
            .unwrap_err()
            .code,
        409
    );
    assert!(
        st.create(&at(res, "b", None), cm("x"), false).is_ok(),
        "another namespace"
    );
}

#[test]
fn writes_that_change_nothing_commit_nothing() {
    let (mut st, res) = state();
    let t = at(res, "a", Some("x"));
    let made = st.create(&at(res, "a", None), cm("x"), false).unwrap();
    let events = st.events.len();
    let cases: [(&str, Value); 3] = [
        ("application/merge-patch+json", json!({"data": {"k": "v"}})),
        (
            "application/json-patch+json",
            json!([{"op": "replace", "path": "/data/k", "value": "v"}]),
        ),
        (
            "application/apply-patch+yaml",
            json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}}),
        ),
    ];
    for (ctype, body) in cases {
        let out = st.patch(&t, ctype, Some("m"), body).unwrap();
        assert_eq!(rv(&out), rv(&made), "{ctype}");
    }
    assert_eq!(rv(&st.replace(&t, (*made).clone()).unwrap()), rv(&made));
    assert_eq!(st.events.len(), events, "no watch event");
    let changed = st
        .patch(
            &t,
            "application/merge-patch+json",
            None,
            json!({"data": {"k": "w"}}),
        )
        .unwrap();
    assert_eq!(
        (rv(&changed), changed["metadata"]["generation"].as_i64()),
        ("2".into(), Some(2))
    );
}

#[test]
fn stale_resource_versions_conflict() {
    let (mut st, res) = state();
    let t = at(res, "a", Some("x"));
    st.create(&at(res, "a", None), cm("x"), false).unwrap();
    st.patch(
        &t,
        "application/merge-patch+json",
        None,
        json!({"data": {"k": "2"}}),
    )
    .unwrap();
    let mut stale = cm("x");
    stale["metadata"]["resourceVersion"] = json!("1");
    assert_eq!(st.replace(&t, stale.clone()).unwrap_err().code, 409);
    stale["data"] = json!({"k": "3"});
    assert_eq!(
        st.patch(&t, "application/merge-patch+json", None, stale)
            .unwrap_err()
            .code,
        409
    );
    let pre = json!({"preconditions": {"resourceVersion": "1"}});
    assert_eq!(st.delete(&t, &pre).unwrap_err().code, 409);
    assert_eq!(
        st.patch(&t, "text/plain", None, json!({}))
            .unwrap_err()
            .code,
        415
    );
    assert_eq!(
        st.patch(&t, "application/apply-patch+yaml", None, json!({}))
            .unwrap_err()
            .code,
        422
    );
}

#[test]
fn finalizers_hold_deletion() {
    let (mut st, res) = state();
    let t = at(res, "a", Some("x"));
    let mut body = cm("x");
    body["metadata"]["finalizers"] = json!(["f"]);
    st.create(&at(res, "a", None), body, false).unwrap();
    let marked = st.delete(&t, &Value::Null).unwrap();
    assert!(marked["metadata"]["deletionTimestamp"].is_string());
    assert!(st.get(&t).is_ok(), "kept while a finalizer is left");
    let ops = json!([{"op": "test", "path": "/metadata/finalizers", "value": ["f"]},
                     {"op": "remove", "path": "/metadata/finalizers/0"}]);
    st.patch(&t, "application/json-patch+json", None, ops)
        .unwrap();
    assert_eq!(st.get(&t).unwrap_err().code, 404);
    assert_eq!(st.events.last().unwrap().kind, "DELETED");
}

#[test]
fn lists_select_and_page() {
    let (mut st, res) = state();
    for (ns, name) in [("a", "x1"), ("a", "x2"), ("a", "x3"), ("b", "x1")] {
        st.create(&at(res, ns, None), cm(name), false).unwrap();
    }
    let names = |p: &list::Page| -> Vec<String> {
        p.items
            .iter()
            .map(|o| {
                format!(
                    "{}/{}",
                    o["metadata"]["namespace"].as_str().unwrap(),
                    o["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect()
    };
    let all = Filter::default();
    let first = list::select(&st, res, &all, Some(3), None).unwrap();
    assert_eq!(names(&first), ["a/x1", "a/x2", "a/x3"]);
    st.create(&at(res, "c", None), cm("late"), false).unwrap();
    let second = list::select(&st, res, &all, Some(3), first.next.as_deref()).unwrap();
    assert_eq!(
        (names(&second), second.rv, second.next.is_none()),
        (vec!["b/x1".to_string(), "c/late".into()], first.rv, true)
    );
    let in_a = Filter::new(Some("a"), Some("app in (x1,x3)"), None).unwrap();
    assert_eq!(
        names(&list::select(&st, res, &in_a, None, None).unwrap()),
        ["a/x1", "a/x3"]
    );
    let by_name = Filter::new(None, None, Some("metadata.name=x1")).unwrap();
    assert_eq!(
        names(&list::select(&st, res, &by_name, None, None).unwrap()),
        ["a/x1", "b/x1"]
    );
}

#[test]
fn watchers_see_objects_enter_and_leave_their_selection() {
    let (mut st, res) = state();
    let t = at(res, "a", Some("x"));
    st.create(&at(res, "a", None), cm("x"), false).unwrap();
    for app in ["other", "x", "x2"] {
        let body = json!({"metadata": {"labels": {"app": app}}});
        st.patch(&t, "application/merge-patch+json", None, body)
            .unwrap();
    }
    st.delete(&t, &Value::Null).unwrap();
    let selected = Filter::new(Some("a"), Some("app=x"), None).unwrap();
    let everything = Filter::default();
    let seen = |f: &Filter| -> Vec<Option<&str>> {
        st.events
            .iter()
            .map(|e| crate::watch::translate(f, res, e))
            .collect()
    };
    assert_eq!(
        seen(&selected),
        [
            Some("ADDED"),
            Some("DELETED"),
            Some("ADDED"),
            Some("DELETED"),
            None
        ]
    );
    assert_eq!(
        seen(&everything),
        [
            Some("ADDED"),
            Some("MODIFIED"),
            Some("MODIFIED"),
            Some("MODIFIED"),
            Some("DELETED")
        ]
    );
    assert_eq!(
        crate::watch::translate(&everything, res + 1, &st.events[0]),
        None,
        "another resource"
    );
}
