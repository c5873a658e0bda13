//! Deletions sent whose effect the watch cache may not show yet (the "expectations" of the
//! Kubernetes ReplicaSet controller): a member with a finalizer stays listed after its DELETE,
//! and a reconcile that reads the cache before the deletion's event arrives would delete it
//! again. A second DELETE is harmless to the API server but is a request for nothing; the
//! cache shows `deletionTimestamp` within moments, so an entry is trusted for a short while.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a sent deletion is trusted without the cache showing it.
const TRUST: Duration = Duration::from_secs(30);

#[derive(Default)]
pub struct SentDeletions {
    by_uid: Mutex<HashMap<String, Instant>>,
}

impl SentDeletions {
    /// Whether a DELETE for the object with `uid` was sent within the last [`TRUST`].
    pub fn recent(&self, uid: &str) -> bool {
        self.recent_at(uid, Instant::now())
    }

    pub fn record(&self, uid: &str) {
        self.record_at(uid, Instant::now())
    }

    fn recent_at(&self, uid: &str, now: Instant) -> bool {
        let map = self.by_uid.lock().expect("sent deletions lock");
        map.get(uid)
            .is_some_and(|at| now.duration_since(*at) < TRUST)
    }

    fn record_at(&self, uid: &str, now: Instant) {
        let mut map = self.by_uid.lock().expect("sent deletions lock");
        map.retain(|_, at| now.duration_since(*at) < TRUST);
        map.insert(uid.to_string(), now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_deletion_is_trusted_for_a_while_then_forgotten() {
        let d = SentDeletions::default();
        let t0 = Instant::now();
        assert!(!d.recent_at("a", t0));
        d.record_at("a", t0);
        assert!(d.recent_at("a", t0 + Duration::from_secs(29)));
        assert!(!d.recent_at("b", t0), "per object");
        assert!(
            !d.recent_at("a", t0 + TRUST),
            "a lost deletion is sent again"
        );
        d.record_at("b", t0 + TRUST);
        assert_eq!(d.by_uid.lock().unwrap().len(), 1, "old entries pruned");
    }
}
