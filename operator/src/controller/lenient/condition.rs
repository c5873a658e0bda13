//! What a user sees on an object the operator cannot decode: its status as stored, with `Ready`
//! (and the kind's other headline condition) False, reason `InvalidObject`, and a message naming
//! the field. Pure: the stored JSON in, the status to write out.

use super::decode::DecodeError;
use serde_json::{json, Value};

/// Reason of the condition and of the Warning Event.
pub const REASON: &str = "InvalidObject";

/// The condition message (also the Event note): which field failed, and what the operator does.
pub fn message(kind: &str, error: &DecodeError) -> String {
    format!(
        "the operator cannot read this {kind} ({error}); it is left as it is (no child changed, \
         nothing spent) until it is fixed"
    )
}

/// The stored status with every condition in `types` replaced by False/[`REASON`]/`message`; all
/// other fields and conditions as stored. Written back whole, so a server-side apply under the
/// operator's field manager does not drop the fields its last apply set (registration records).
pub fn invalid_status(raw: &Value, types: &[&str], message: &str, now: &str) -> Value {
    let mut status = match raw.get("status") {
        Some(Value::Object(m)) => Value::Object(m.clone()),
        _ => json!({}),
    };
    let old: Vec<Value> = match status.get("conditions") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let generation = raw.pointer("/metadata/generation").cloned();
    let mut conditions: Vec<Value> = old
        .iter()
        .filter(|c| !types.iter().any(|t| type_of(c) == Some(t)))
        .cloned()
        .collect();
    for t in types {
        // A condition already False keeps its transition time, as merge_conditions does.
        let since = old
            .iter()
            .find(|c| type_of(c) == Some(t) && c.get("status") == Some(&json!("False")))
            .and_then(|c| c.get("lastTransitionTime").cloned())
            .unwrap_or_else(|| json!(now));
        let mut c = json!({"type": t, "status": "False", "reason": REASON, "message": message,
                           "lastTransitionTime": since});
        if let Some(g) = &generation {
            c["observedGeneration"] = g.clone();
        }
        conditions.push(c);
    }
    status["conditions"] = Value::Array(conditions);
    status
}

/// Whether the stored object already carries this report (a restarted operator, or our own write
/// seen again): then neither the status nor an Event is written again.
pub fn already_reported(raw: &Value, types: &[&str], message: &str) -> bool {
    let Some(Value::Array(conds)) = raw.pointer("/status/conditions") else {
        return false;
    };
    types.iter().all(|t| {
        conds.iter().any(|c| {
            type_of(c) == Some(t)
                && c.get("status") == Some(&json!("False"))
                && c.get("reason") == Some(&json!(REASON))
                && c.get("message") == Some(&json!(message))
        })
    })
}

fn type_of(c: &Value) -> Option<&str> {
    c.get("type").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-01-02T03:04:05Z";

    fn obj(status: Value) -> Value {
        json!({"metadata": {"name": "n", "generation": 4}, "status": status})
    }

    #[test]
    fn replaces_only_the_named_conditions_and_keeps_the_rest() {
        let ready_true = json!({"type": "Ready", "status": "True", "reason": "Running",
                                "message": "", "lastTransitionTime": "2025-01-01T00:00:00Z"});
        let ready_false = json!({"type": "Ready", "status": "False", "reason": "Pending",
                                 "message": "", "lastTransitionTime": "2025-06-01T00:00:00Z"});
        let registered = json!({"type": "Registered", "status": "True", "reason": "Registered",
                                "message": "", "lastTransitionTime": "2025-01-01T00:00:00Z"});
        let records = json!([{"block": 1, "paidRao": 5, "result": "Success"}]);
        // (stored status, types, expected conditions as (type, status, reason, since))
        let cases = [
            (
                json!(null),
                vec!["Ready"],
                vec![("Ready", "False", REASON, NOW)],
            ),
            (
                json!("garbage"),
                vec!["Ready"],
                vec![("Ready", "False", REASON, NOW)],
            ),
            (
                json!({"conditions": [ready_true, registered], "registration": records}),
                vec!["Ready"],
                vec![
                    ("Registered", "True", "Registered", "2025-01-01T00:00:00Z"),
                    ("Ready", "False", REASON, NOW),
                ],
            ),
            (
                json!({"conditions": [ready_false]}),
                vec!["Ready"],
                vec![("Ready", "False", REASON, "2025-06-01T00:00:00Z")],
            ),
            (
                json!({"conditions": "not-a-list"}),
                vec!["Ready", "Progressing"],
                vec![
                    ("Ready", "False", REASON, NOW),
                    ("Progressing", "False", REASON, NOW),
                ],
            ),
        ];
        for (stored, types, want) in cases {
            let raw = obj(stored.clone());
            let st = invalid_status(&raw, &types, "msg", NOW);
            let got: Vec<(String, String, String, String)> = st["conditions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
                    (s("type"), s("status"), s("reason"), s("lastTransitionTime"))
                })
                .collect();
            let want: Vec<(String, String, String, String)> = want
                .iter()
                .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
                .collect();
            assert_eq!(got, want, "{stored}");
            for c in st["conditions"].as_array().unwrap() {
                if c["reason"] == REASON {
                    assert_eq!(
                        (&c["message"], &c["observedGeneration"]),
                        (&json!("msg"), &json!(4))
                    );
                }
            }
            if stored.get("registration").is_some() {
                assert_eq!(
                    st["registration"], records,
                    "other status fields are written back"
                );
            }
            assert!(already_reported(&json!({"status": st}), &types, "msg"));
            assert!(!already_reported(
                &json!({"status": st}),
                &types,
                "other msg"
            ));
        }
        assert!(!already_reported(&obj(json!({})), &["Ready"], "msg"));
    }

    #[test]
    fn message_names_kind_and_field() {
        let e = DecodeError {
            path: "spec.role".into(),
            reason: "unknown variant `boss`".into(),
        };
        let m = message("Neuron", &e);
        assert!(
            m.starts_with(
                "the operator cannot read this Neuron (spec.role: unknown variant `boss`)"
            ),
            "{m}"
        );
    }
}
