//! Decoding that cannot fail a whole list or watch: an object that does not deserialize as `K`
//! becomes an [`Undecodable`] (its metadata, the object as stored and what failed) instead of an
//! error of the list or stream that carried it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;
use std::fmt;

/// Longest decode error kept (it goes into a condition, an Event and the log).
pub const MAX_REASON: usize = 240;
/// Longest literal (enum variant, field name) quoted from the object; longer ones are not shown.
const MAX_LITERAL: usize = 40;

/// One object of kind `K` as listed or watched: typed, or kept aside with what failed.
#[derive(Clone, Debug)]
pub enum Decoded<K> {
    Valid(K),
    /// Boxed: the typed variant is small, and invalid objects are rare.
    Invalid(Box<Undecodable>),
}

/// An object that does not decode as its kind (CRD version skew, no admission, a hand edit).
#[derive(Clone, Debug)]
pub struct Undecodable {
    pub meta: ObjectMeta,
    /// The object as the API server sent it (its status is written back from this).
    pub raw: serde_json::Value,
    pub error: DecodeError,
}

/// Which field failed and why, with the user's values left out (see [`scrub`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Dotted path such as `spec.role` or `spec.env[0].value`; empty for the object itself.
    pub path: String,
    pub reason: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}

/// `raw` as a `K`, or what failed. The metadata of an undecodable object is read on its own; a
/// metadata the API server would never send still yields name, namespace and resourceVersion.
pub fn decode<K: DeserializeOwned>(raw: serde_json::Value) -> Decoded<K> {
    let error = match serde_path_to_error::deserialize::<_, K>(&raw) {
        Ok(k) => return Decoded::Valid(k),
        Err(e) => DecodeError {
            path: path_of(&e.path().to_string()),
            reason: scrub(&e.inner().to_string()),
        },
    };
    let meta = raw
        .get("metadata")
        .and_then(|m| ObjectMeta::deserialize(m).ok())
        .unwrap_or_else(|| minimal_meta(&raw));
    Decoded::Invalid(Box::new(Undecodable { meta, raw, error }))
}

fn path_of(p: &str) -> String {
    if p == "." || p == "?" {
        String::new()
    } else {
        p.to_string()
    }
}

fn minimal_meta(raw: &serde_json::Value) -> ObjectMeta {
    let s = |p: &str| raw.pointer(p).and_then(|v| v.as_str()).map(String::from);
    ObjectMeta {
        name: s("/metadata/name"),
        namespace: s("/metadata/namespace"),
        resource_version: s("/metadata/resourceVersion"),
        uid: s("/metadata/uid"),
        ..Default::default()
    }
}

/// A serde message without the user's values: quoted strings (`string "..."`) become `a string`,
/// backquoted literals (variants, field names) stay only when short and identifier-like, and the
/// whole is cut at [`MAX_REASON`]. The CRs hold no key material, but `env` values and the like may
/// hold anything, and messages go to Events that many can read.
pub fn scrub(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len().min(MAX_REASON + 8));
    let mut rest = msg;
    while let Some(i) = rest.find(['"', '`']) {
        let (before, from) = rest.split_at(i);
        let quote = from.chars().next().expect("found a quote");
        let Some((literal, after)) = quoted(&from[1..], quote) else {
            out.push_str(before);
            out.push_str("(value not shown)");
            return bounded(&out, MAX_REASON);
        };
        if quote == '"' {
            out.push_str(before.strip_suffix("string ").unwrap_or(before));
            out.push_str(if before.ends_with("string ") {
                "a string"
            } else {
                "(value not shown)"
            });
        } else {
            out.push_str(before);
            if literal.len() <= MAX_LITERAL
                && !literal.is_empty()
                && literal
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                out.push('`');
                out.push_str(literal);
                out.push('`');
            } else {
                out.push_str("(value not shown)");
            }
        }
        rest = after;
    }
    out.push_str(rest);
    bounded(&out, MAX_REASON)
}

/// The literal up to the closing `quote` (a `"` may be escaped as serde's Debug form does), and
/// what follows it.
fn quoted(s: &str, quote: char) -> Option<(&str, &str)> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if quote == '"' && !escaped => escaped = true,
            c if c == quote && !escaped => return Some((&s[..i], &s[i + 1..])),
            _ => escaped = false,
        }
    }
    None
}

/// At most `max` characters, cut with an ellipsis.
pub fn bounded(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

impl<'de, K: DeserializeOwned> Deserialize<'de> for Decoded<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(decode(serde_json::Value::deserialize(d)?))
    }
}

/// Same kind, URL and scope as `K`, so an `Api<Decoded<K>>` lists and watches exactly what an
/// `Api<K>` would.
impl<K: Resource> Resource for Decoded<K> {
    type DynamicType = K::DynamicType;
    type Scope = K::Scope;

    fn kind(dt: &Self::DynamicType) -> Cow<'_, str> {
        K::kind(dt)
    }
    fn group(dt: &Self::DynamicType) -> Cow<'_, str> {
        K::group(dt)
    }
    fn version(dt: &Self::DynamicType) -> Cow<'_, str> {
        K::version(dt)
    }
    fn api_version(dt: &Self::DynamicType) -> Cow<'_, str> {
        K::api_version(dt)
    }
    fn plural(dt: &Self::DynamicType) -> Cow<'_, str> {
        K::plural(dt)
    }
    fn meta(&self) -> &ObjectMeta {
        match self {
            Decoded::Valid(k) => k.meta(),
            Decoded::Invalid(u) => &u.meta,
        }
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        match self {
            Decoded::Valid(k) => k.meta_mut(),
            Decoded::Invalid(u) => &mut u.meta,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Neuron, NeuronSet, Subnet};
    use serde_json::json;

    fn neuron(spec: serde_json::Value) -> serde_json::Value {
        json!({"apiVersion": "tensorfleet.io/v1alpha1", "kind": "Neuron",
               "metadata": {"name": "n", "namespace": "a", "resourceVersion": "7"},
               "spec": spec})
    }

    fn error_of<K: DeserializeOwned>(raw: serde_json::Value) -> Option<String> {
        match decode::<K>(raw) {
            Decoded::Valid(_) => None,
            Decoded::Invalid(u) => {
                assert_eq!(u.meta.name.as_deref(), Some("n"), "metadata kept");
                Some(u.error.to_string())
            }
        }
    }

    #[test]
    fn neuron_decode_errors_name_the_field() {
        let base = || json!({"subnet": "sn", "role": "miner", "image": "i"});
        let with = |k: &str, v: serde_json::Value| {
            let mut s = base();
            s[k] = v;
            neuron(s)
        };
        // (object, expected error; None = decodes)
        let cases = [
            (neuron(base()), None),
            (
                with("role", json!("boss")),
                Some("spec.role: unknown variant `boss`, expected `miner` or `validator`"),
            ),
            (
                with("gpus", json!("lots")),
                Some("spec.gpus: invalid type: a string, expected u32"),
            ),
            (
                with("gpus", json!(-1)),
                Some("spec.gpus: invalid value: integer `-1`, expected u32"),
            ),
            (
                neuron(json!({"subnet": "sn", "role": "miner"})),
                Some("spec: missing field `image`"),
            ),
            (
                with("env", json!([{"name": "TOKEN", "value": 42}])),
                Some("spec.env[0].value: invalid type: integer `42`, expected a string"),
            ),
            (
                with("axon", json!({"expose": "Everywhere"})),
                Some("spec.axon.expose: unknown variant `Everywhere`, expected one of `None`, `HostPort`, `NodePort`, `LoadBalancer`"),
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(error_of::<Neuron>(raw.clone()).as_deref(), want, "{raw}");
        }
    }

    #[test]
    fn other_kinds_and_status_fields() {
        let obj = |kind: &str, body: serde_json::Value| {
            let mut o = json!({"apiVersion": "tensorfleet.io/v1alpha1", "kind": kind,
                               "metadata": {"name": "n", "namespace": "a"}});
            o.as_object_mut()
                .unwrap()
                .extend(body.as_object().unwrap().clone());
            o
        };
        let subnet = |s| obj("Subnet", json!({ "spec": s }));
        let reg = json!({"maxBurnTao": "1"});
        assert_eq!(
            error_of::<Subnet>(subnet(json!({"netuid": "twenty", "registration": reg}))).as_deref(),
            Some("spec.netuid: invalid type: a string, expected u16")
        );
        assert_eq!(
            error_of::<Subnet>(subnet(
                json!({"netuid": 21, "network": "mainnet", "registration": reg})
            ))
            .as_deref(),
            Some("spec.network: unknown variant `mainnet`, expected one of `finney`, `test`, `local`")
        );
        let set = obj(
            "NeuronSet",
            json!({"spec": {"replicas": "many",
                "template": {"subnet": "sn", "role": "miner", "image": "i"}}}),
        );
        assert_eq!(
            error_of::<NeuronSet>(set).as_deref(),
            Some("spec.replicas: invalid type: a string, expected i32")
        );
        let mut bad_status = neuron(json!({"subnet": "sn", "role": "miner", "image": "i"}));
        bad_status["status"] = json!({"phase": "Bogus"});
        let msg = error_of::<Neuron>(bad_status).unwrap();
        assert!(
            msg.starts_with("status.phase: unknown variant `Bogus`"),
            "{msg}"
        );
    }

    #[test]
    fn scrub_keeps_structure_not_values() {
        let long = "x".repeat(41);
        let cases = [
            (
                "invalid type: string \"hunter2\", expected u32",
                "invalid type: a string, expected u32".to_string(),
            ),
            (
                "invalid type: string \"with \\\"quote\\\" inside\", expected u32",
                "invalid type: a string, expected u32".into(),
            ),
            (
                "unknown variant `boss`, expected `miner`",
                "unknown variant `boss`, expected `miner`".into(),
            ),
            (
                "unknown variant `abandon ability able`, expected `miner`",
                "unknown variant (value not shown), expected `miner`".into(),
            ),
            (
                &*format!("unknown variant `{long}`"),
                "unknown variant (value not shown)".into(),
            ),
            (
                "custom \"quoted\" thing",
                "custom (value not shown) thing".into(),
            ),
            ("unterminated `abc", "unterminated (value not shown)".into()),
            ("no quotes at all", "no quotes at all".into()),
        ];
        for (input, want) in cases {
            assert_eq!(scrub(input), want, "{input}");
        }
        let huge = format!("missing field `a` {}", "y".repeat(1000));
        let out = scrub(&huge);
        assert_eq!(out.chars().count(), MAX_REASON);
        assert!(out.ends_with('…'));
    }

    #[test]
    fn undecodable_metadata_still_names_the_object() {
        let raw = json!({"metadata": {"name": "n", "namespace": "a", "labels": "not-a-map",
                                      "resourceVersion": "9"}, "spec": {}});
        let Decoded::Invalid(u) = decode::<Neuron>(raw) else {
            panic!("decoded")
        };
        assert_eq!(u.meta.namespace.as_deref(), Some("a"));
        assert_eq!(u.meta.resource_version.as_deref(), Some("9"));
    }

    #[test]
    fn lists_keep_good_items_when_one_is_bad() {
        let good = neuron(json!({"subnet": "sn", "role": "miner", "image": "i"}));
        let bad = neuron(json!({"subnet": "sn", "role": "boss", "image": "i"}));
        let list: Vec<Decoded<Neuron>> = serde_json::from_value(json!([good, bad])).unwrap();
        assert!(matches!(list[0], Decoded::Valid(_)));
        assert!(matches!(list[1], Decoded::Invalid(_)));
        // a watch event line as the API server sends it
        let line = json!({"type": "MODIFIED", "object": neuron(json!({"role": "boss"}))});
        let ev: kube::api::WatchEvent<Decoded<Neuron>> =
            serde_json::from_slice(line.to_string().as_bytes()).unwrap();
        assert!(matches!(
            ev,
            kube::api::WatchEvent::Modified(Decoded::Invalid(_))
        ));
    }
}
