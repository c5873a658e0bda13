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

/// (namespace/neuron, kind) → the last refusal; and the block at which the executor found a
/// request already done (registered, target met) while the snapshot the plan asked from was
/// older: until the cache reaches that block, the plan's view is behind the chain, and asking
/// again would only repeat the chain reads at reconcile speed.
#[derive(Default)]
pub struct Feedback(
    Mutex<HashMap<(String, Kind), Refusal>>,
    Mutex<HashMap<(String, Kind), (u64, jiff::Timestamp)>>,
);

impl Feedback {
    /// The chain showed the request done at block `head`, now.
    pub fn done_at(&self, owner: &str, kind: Kind, head: u64) {
        self.done_at_time(owner, kind, head, jiff::Timestamp::now())
    }

    fn done_at_time(&self, owner: &str, kind: Kind, head: u64, at: jiff::Timestamp) {
        self.1
            .lock()
            .expect("feedback lock")
            .insert((owner.to_string(), kind), (head, at));
    }

    /// Whether a view at `block`, polled at `polled_at`, is older than what the executor last
    /// saw done: a lower block, or the same block read before (a chain whose head did not move
    /// with the inclusion, as a devnet in manual block mode).
    pub fn behind(
        &self,
        owner: &str,
        kind: Kind,
        block: u64,
        polled_at: Option<jiff::Timestamp>,
    ) -> bool {
        self.1
            .lock()
            .expect("feedback lock")
            .get(&(owner.to_string(), kind))
            .is_some_and(|(head, at)| {
                block < *head || (block == *head && polled_at.is_none_or(|p| p < *at))
            })
    }

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
        self.1
            .lock()
            .expect("feedback lock")
            .retain(|(o, _), _| o != owner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_older_than_the_done_block_is_behind() {
        let f = Feedback::default();
        let t = |s: i64| jiff::Timestamp::from_second(1_800_000_000 + s).unwrap();
        assert!(!f.behind("ns/a", Kind::Register, 10, Some(t(0))));
        f.done_at_time("ns/a", Kind::Register, 12, t(5));
        assert!(
            f.behind("ns/a", Kind::Register, 11, Some(t(9))),
            "a lower block"
        );
        assert!(
            f.behind("ns/a", Kind::Register, 12, Some(t(4))),
            "same block, read before"
        );
        assert!(
            !f.behind("ns/a", Kind::Register, 12, Some(t(6))),
            "read after: caught up"
        );
        assert!(!f.behind("ns/a", Kind::Register, 13, Some(t(1))));
        assert!(!f.behind("ns/a", Kind::Stake, 11, Some(t(0))), "per kind");
        f.forget("ns/a");
        assert!(!f.behind("ns/a", Kind::Register, 11, Some(t(0))));
    }

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
