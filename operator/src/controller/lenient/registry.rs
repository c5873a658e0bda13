//! The undecodable objects of one kind the primary watch has seen, and whether a new sighting is
//! news (report it) or the same thing again (a relist, or the echo of our own status write).

use super::decode::Undecodable;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What to do about one sighting of an undecodable object.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Seen before with this error: nothing (no log, no write).
    Known,
    /// A new object, version or error: log it once, and write the condition and Event unless the
    /// object already shows them.
    Report { write: bool },
}

/// The decision, from the error of the last sighting and what the object shows. A relist sends the
/// same resourceVersion again; our own status write makes a new one with the same error: neither
/// is news. A new resourceVersion with another error is.
pub fn verdict(last_error: Option<&str>, error: &str, already_shown: bool) -> Verdict {
    match last_error {
        Some(e) if e == error => Verdict::Known,
        _ => Verdict::Report {
            write: !already_shown,
        },
    }
}

struct Entry {
    error: String,
    object: Arc<Undecodable>,
    /// Not seen since the current relist began (dropped when it ends: deleted meanwhile).
    stale: bool,
}

/// Shared between the watch that fills it and readers (a Neuron's hotkey claim stays visible
/// while the Neuron is undecodable). Keys are `namespace/name`.
#[derive(Default)]
pub struct Registry {
    entries: Mutex<HashMap<String, Entry>>,
}

pub fn key_of(u: &Undecodable) -> String {
    key(
        u.meta.namespace.as_deref(),
        u.meta.name.as_deref().unwrap_or_default(),
    )
}

pub fn key(ns: Option<&str>, name: &str) -> String {
    format!("{}/{name}", ns.unwrap_or_default())
}

impl Registry {
    /// Records a sighting and says what to do about it.
    pub fn saw(
        &self,
        u: Undecodable,
        error: &str,
        already_shown: bool,
    ) -> (Verdict, Arc<Undecodable>) {
        let k = key_of(&u);
        let object = Arc::new(u);
        let mut m = self.entries.lock().expect("registry lock");
        let v = verdict(m.get(&k).map(|e| e.error.as_str()), error, already_shown);
        m.insert(
            k,
            Entry {
                error: error.to_string(),
                object: object.clone(),
                stale: false,
            },
        );
        (v, object)
    }

    /// The object decodes again or is gone: returns whether it had been undecodable.
    pub fn forget(&self, key: &str) -> bool {
        self.entries
            .lock()
            .expect("registry lock")
            .remove(key)
            .is_some()
    }

    /// A relist began: entries not seen again before it ends were deleted meanwhile.
    pub fn relist_started(&self) {
        for e in self.entries.lock().expect("registry lock").values_mut() {
            e.stale = true;
        }
    }

    pub fn relist_done(&self) {
        self.entries
            .lock()
            .expect("registry lock")
            .retain(|_, e| !e.stale);
    }

    /// The undecodable objects of namespace `ns`, as last seen.
    pub fn in_namespace(&self, ns: &str) -> Vec<Arc<Undecodable>> {
        self.entries
            .lock()
            .expect("registry lock")
            .values()
            .filter(|e| e.object.meta.namespace.as_deref() == Some(ns))
            .map(|e| e.object.clone())
            .collect()
    }

    /// Every undecodable object, as last seen.
    pub fn all(&self) -> Vec<Arc<Undecodable>> {
        self.entries
            .lock()
            .expect("registry lock")
            .values()
            .map(|e| e.object.clone())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.entries.lock().expect("registry lock").len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::lenient::decode::DecodeError;

    fn bad(ns: &str, name: &str, rv: &str) -> Undecodable {
        Undecodable {
            meta: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(name.into()),
                namespace: Some(ns.into()),
                resource_version: Some(rv.into()),
                ..Default::default()
            },
            raw: serde_json::json!({}),
            error: DecodeError {
                path: "spec.role".into(),
                reason: "r".into(),
            },
        }
    }

    #[test]
    fn verdicts() {
        let report = |write| Verdict::Report { write };
        // (last sighting, error now, already shown on the object, verdict)
        let cases = [
            (None, "e1", false, report(true)),
            (None, "e1", true, report(false)),
            (Some("e1"), "e1", false, Verdict::Known),
            (Some("e1"), "e2", false, report(true)),
            (Some("e1"), "e2", true, report(false)),
        ];
        for (last, err, shown, want) in cases {
            assert_eq!(verdict(last, err, shown), want, "{last:?} {err} {shown}");
        }
    }

    #[test]
    fn sightings_relists_and_namespaces() {
        let r = Registry::default();
        let first = r.saw(bad("a", "x", "1"), "e1", false).0;
        assert_eq!(first, Verdict::Report { write: true });
        // our status write's echo: a new resourceVersion, the same error
        assert_eq!(r.saw(bad("a", "x", "2"), "e1", false).0, Verdict::Known);
        assert_eq!(
            r.saw(bad("a", "x", "3"), "e2", false).0,
            Verdict::Report { write: true }
        );
        r.saw(bad("b", "y", "4"), "e1", false);
        assert_eq!(r.in_namespace("a").len(), 1);
        // a relist that sees only y: x was deleted while the watch was down
        r.relist_started();
        assert_eq!(r.saw(bad("b", "y", "4"), "e1", false).0, Verdict::Known);
        r.relist_done();
        assert!(r.in_namespace("a").is_empty());
        assert_eq!(r.len(), 1);
        assert!(r.forget("b/y"));
        assert!(!r.forget("b/y"));
    }
}
