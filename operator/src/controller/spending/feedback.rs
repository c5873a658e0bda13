//! What the executor tells a Neuron's reconcile about its last request, when that is not in the
//! ledger: a refusal before anything was recorded (the burn above the limit at the birth block,
//! a proxy of the wrong type, an announced coldkey swap, too little balance...) and until when
//! not to ask again. Kept in memory: after a restart the reconcile asks again and the executor
//! checks again, spending nothing to learn it.

use crate::api::SpendCall;
use std::collections::HashMap;
use std::sync::Mutex;

/// Which kind of request, for feedback and de-duplication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Register,
    Stake,
    Serve,
}

impl From<SpendCall> for Kind {
    fn from(c: SpendCall) -> Self {
        match c {
            SpendCall::Register => Kind::Register,
            SpendCall::AddStake | SpendCall::RemoveStake => Kind::Stake,
        }
    }
}

/// The executor's last word on a request that did not end in a ledger record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The condition reason (`BurnAboveCap`, `ProxyMisconfigured`, `ColdkeySwapAnnounced`...).
    pub reason: String,
    pub message: String,
    /// Not before this: asking again earlier gets the same answer.
    pub retry_at: jiff::Timestamp,
}

/// (namespace/neuron, kind) → the last refusal.
#[derive(Default)]
pub struct Feedback(Mutex<HashMap<(String, Kind), Refusal>>);

impl Feedback {
    pub fn refuse(&self, owner: &str, kind: Kind, refusal: Refusal) {
        self.0
            .lock()
            .expect("feedback lock")
            .insert((owner.to_string(), kind), refusal);
    }

    /// Forgets the refusal once a request got further (recorded, or nothing to do).
    pub fn clear(&self, owner: &str, kind: Kind) {
        self.0
            .lock()
            .expect("feedback lock")
            .remove(&(owner.to_string(), kind));
    }

    pub fn get(&self, owner: &str, kind: Kind) -> Option<Refusal> {
        self.0
            .lock()
            .expect("feedback lock")
            .get(&(owner.to_string(), kind))
            .cloned()
    }

    /// Forgets everything about a deleted Neuron.
    pub fn forget(&self, owner: &str) {
        self.0
            .lock()
            .expect("feedback lock")
            .retain(|(o, _), _| o != owner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_per_owner_and_kind() {
        let f = Feedback::default();
        let r = Refusal {
            reason: "BurnAboveCap".into(),
            message: "m".into(),
            retry_at: jiff::Timestamp::UNIX_EPOCH,
        };
        f.refuse("ns/a", Kind::Register, r.clone());
        f.refuse("ns/a", Kind::Stake, r.clone());
        assert_eq!(f.get("ns/a", Kind::Register), Some(r.clone()));
        assert_eq!(f.get("ns/b", Kind::Register), None);
        f.clear("ns/a", Kind::Register);
        assert_eq!(f.get("ns/a", Kind::Register), None);
        assert!(f.get("ns/a", Kind::Stake).is_some());
        f.forget("ns/a");
        assert_eq!(f.get("ns/a", Kind::Stake), None);
        assert_eq!(Kind::from(SpendCall::RemoveStake), Kind::Stake);
    }
}
