//! Fault injection for the next N calls of a `Chain` method, and per-method call counters.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

/// The `Chain` trait's methods, as named on the wire and in counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Head,
    Snapshot,
    UidOf,
    FreeBalance,
    AccountNonce,
    ColdkeySwap,
    FindTx,
    Register,
    AddStake,
    RemoveStake,
    ServeAxon,
}

impl Method {
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Method::Register | Method::AddStake | Method::RemoveStake | Method::ServeAxon
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// The call times out; nothing reaches the chain.
    Timeout,
    /// The connection drops before the request is sent; nothing reaches the chain.
    Disconnect,
    /// Writes only: the extrinsic is applied but the caller gets `OutcomeUnknown`.
    IncludedResultLost,
}

/// Faults queued per method, consumed one per call, plus the global "unreachable" switch.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Faults {
    pub queued: BTreeMap<Method, VecDeque<Fault>>,
    pub unreachable: bool,
    /// Calls per method since the last reset (every attempt, whatever its outcome).
    pub calls: BTreeMap<Method, u64>,
}

impl Faults {
    pub fn inject(&mut self, method: Method, fault: Fault, count: u32) -> Result<(), String> {
        if fault == Fault::IncludedResultLost && !method.is_write() {
            return Err(format!("{fault:?} only applies to writes, not {method:?}"));
        }
        let q = self.queued.entry(method).or_default();
        q.extend(std::iter::repeat_n(fault, count as usize));
        Ok(())
    }

    pub fn clear(&mut self) {
        self.queued.clear();
        self.unreachable = false;
    }

    /// Counts the call and takes its fault, if any.
    pub fn on_call(&mut self, method: Method) -> Option<Fault> {
        *self.calls.entry(method).or_default() += 1;
        self.queued.get_mut(&method).and_then(|q| q.pop_front())
    }
}
