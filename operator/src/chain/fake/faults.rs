//! Fault injection for the next N calls of a `Chain` method, the rate-limit switches (HTTP 429),
//! and per-method call counters.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::chain::ChainError;

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
    /// `add_stake` only: someone else's buy of a tenth of the pool's TAO lands in the block just
    /// before the call (price ×1.21), after the caller read the price it limits by.
    FrontRun,
}

/// Which views answer every chain call with HTTP 429 ("too many requests"), as a rate-limiting
/// provider in front of a node does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// The live view (`/chain/...`).
    pub live: bool,
    /// The lagging views (`/lag/{blocks}/chain/...`).
    pub lagged: bool,
}

/// Faults queued per method, consumed one per call, plus the global "unreachable" switch.
/// Queued faults and the switch apply to the live view only; the rate limit to either.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Faults {
    pub queued: BTreeMap<Method, VecDeque<Fault>>,
    pub unreachable: bool,
    #[serde(default)]
    pub rate_limit: RateLimit,
    /// Calls per method on the live view since the last reset (every attempt, whatever its
    /// outcome).
    pub calls: BTreeMap<Method, u64>,
    /// Calls per method through a lagging view since the last reset.
    #[serde(default)]
    pub lagged_calls: BTreeMap<Method, u64>,
    /// Calls per method answered 429 (either view) since the last reset.
    #[serde(default)]
    pub rate_limited: BTreeMap<Method, u64>,
}

impl Faults {
    pub fn inject(&mut self, method: Method, fault: Fault, count: u32) -> Result<(), String> {
        if fault == Fault::IncludedResultLost && !method.is_write() {
            return Err(format!("{fault:?} only applies to writes, not {method:?}"));
        }
        if fault == Fault::FrontRun && method != Method::AddStake {
            return Err(format!(
                "{fault:?} only applies to add_stake, not {method:?}"
            ));
        }
        let q = self.queued.entry(method).or_default();
        q.extend(std::iter::repeat_n(fault, count as usize));
        Ok(())
    }

    pub fn clear(&mut self) {
        self.queued.clear();
        self.unreachable = false;
        self.rate_limit = RateLimit::default();
    }

    /// Zeroes every counter; returns the counts of the live view before.
    pub fn reset_counters(&mut self) -> BTreeMap<Method, u64> {
        self.lagged_calls.clear();
        self.rate_limited.clear();
        std::mem::take(&mut self.calls)
    }

    /// Counts a call through a lagging view and applies the rate limit to it.
    pub fn on_lagged_call(&mut self, method: Method) -> Result<(), ChainError> {
        *self.lagged_calls.entry(method).or_default() += 1;
        self.limit(self.rate_limit.lagged, method)
    }

    /// `Err(RateLimited)` (counted) when `on`.
    pub fn limit(&mut self, on: bool, method: Method) -> Result<(), ChainError> {
        if !on {
            return Ok(());
        }
        *self.rate_limited.entry(method).or_default() += 1;
        Err(ChainError::RateLimited(
            "fake chain: 429 Too Many Requests".into(),
        ))
    }

    /// Counts the call and takes its fault, if any.
    pub fn on_call(&mut self, method: Method) -> Option<Fault> {
        *self.calls.entry(method).or_default() += 1;
        self.queued.get_mut(&method).and_then(|q| q.pop_front())
    }
}

/// [`Fault::FrontRun`]'s buy on a dynamic pool: a tenth of its TAO in, fee-less, the constant
/// product kept (tao × alpha), so the price tao / alpha rises by 1.1² = 1.21.
pub fn front_run(c: &mut super::config::SubnetConfig) {
    let k = u128::from(c.pool_tao) * u128::from(c.pool_alpha);
    let tao = c.pool_tao + c.pool_tao / 10;
    c.pool_tao = tao;
    c.pool_alpha = u64::try_from(k / u128::from(tao.max(1))).unwrap_or(u64::MAX);
}
