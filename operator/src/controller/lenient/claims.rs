//! What is still read from an undecodable Neuron: its claim on a hotkey. Its children are left
//! running as they were, so a younger Neuron with the same hotkey must stay blocked by it (two
//! pods must never run one hotkey) even though it is out of the typed store.

use super::decode::Undecodable;
use crate::decide::Claim;
use serde_json::Value;

/// The claim of an undecodable Neuron, from whatever of it still reads: hotkey Secret name as
/// `children::hotkey_secret_name` derives it, the status' hotkey and the creation time.
pub fn hotkey_claim(u: &Undecodable) -> Option<Claim> {
    let name = u.meta.name.clone()?;
    let text = |p: &str| {
        u.raw
            .pointer(p)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let created = u
        .meta
        .creation_timestamp
        .as_ref()
        .map(|t| t.0.to_string())
        .unwrap_or_default();
    Some(Claim {
        secret: text("/spec/wallet/hotkeySecret")
            .map(String::from)
            .unwrap_or_else(|| format!("{name}-hotkey")),
        hotkey: text("/status/hotkey").map(String::from),
        created,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Neuron;
    use crate::controller::lenient::decode::{decode, Decoded};
    use kube::ResourceExt;
    use serde_json::json;

    fn claim(spec: Value, status: Value) -> Claim {
        let raw = json!({"metadata": {"name": "old", "namespace": "a",
                                      "creationTimestamp": "2025-01-01T00:00:00Z"},
                         "spec": spec, "status": status});
        let Decoded::Invalid(u) = decode::<Neuron>(raw) else {
            panic!("decodes")
        };
        hotkey_claim(&u).unwrap()
    }

    #[test]
    fn claims_read_what_is_readable() {
        // (spec, status, secret, hotkey)
        let cases = [
            (json!({"role": "boss"}), json!({}), "old-hotkey", None),
            (
                json!({"role": "boss", "wallet": {"hotkeySecret": "shared"}}),
                json!({"hotkey": "5Hk"}),
                "shared",
                Some("5Hk"),
            ),
            (
                json!({"role": "boss", "wallet": {"hotkeySecret": ""}}),
                json!({"hotkey": 7}),
                "old-hotkey",
                None,
            ),
        ];
        for (spec, status, secret, hotkey) in cases {
            let c = claim(spec.clone(), status);
            assert_eq!(
                (c.secret.as_str(), c.hotkey.as_deref()),
                (secret, hotkey),
                "{spec}"
            );
            assert_eq!(c.name, "old");
        }
    }

    #[test]
    fn creation_time_reads_as_for_a_typed_neuron() {
        let c = claim(json!({"role": "boss"}), json!({}));
        let typed: Neuron = serde_json::from_value(json!({
            "metadata": {"name": "t", "creationTimestamp": "2025-01-01T00:00:00Z"},
            "spec": {"subnet": "s", "role": "miner", "image": "i"}}))
        .unwrap();
        let want = typed.creation_timestamp().map(|t| t.0.to_string()).unwrap();
        assert_eq!(c.created, want);
    }
}
