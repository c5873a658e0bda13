//! What the ledger (the `Spend` objects of a namespace) says: in-flight intents, the records of a
//! Neuron, and every budget as a sum over it. Pure: the spends come in, numbers come out.
//!
//! An unresolved intent counts at its limit (it may still spend that much); a resolved one at
//! what it paid. Budgets follow names (Subnet, NeuronSet, Neuron), so deleting and recreating
//! an object never resets what it spent.

use crate::api::{RegistrationRecord, Spend, SpendCall, StakeKind, StakeRecord};
use jiff::{SignedDuration, Timestamp};

/// Which spends a sum is about.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    Subnet(&'a str),
    Set(&'a str),
    Neuron(&'a str, SpendCall),
}

impl Scope<'_> {
    fn holds(&self, s: &Spend) -> bool {
        match self {
            Scope::Subnet(n) => s.spec.subnet == *n,
            Scope::Set(n) => s.spec.neuron_set.as_deref() == Some(*n),
            Scope::Neuron(n, call) => s.spec.neuron == *n && s.spec.call == *call,
        }
    }
}

/// TAO the spend takes from the coldkey for budgets: what it paid, or its limit while unresolved.
/// A remove sells alpha: it takes no TAO.
pub fn cost(s: &Spend) -> u64 {
    if s.spec.call == SpendCall::RemoveStake {
        return 0;
    }
    match &s.status {
        Some(st) if st.result.is_some() => st.paid_rao,
        _ => s.spec.limit_rao,
    }
}

fn at(s: &Spend) -> Option<Timestamp> {
    s.spec.at.parse().ok()
}

/// Spent in `scope` since `since` (`None`: ever). Undated spends count (the safe side).
pub fn spent<'a>(
    spends: impl IntoIterator<Item = &'a Spend>,
    scope: Scope<'_>,
    since: Option<Timestamp>,
) -> u64 {
    spends
        .into_iter()
        .filter(|s| scope.holds(s))
        .filter(|s| match (since, at(s)) {
            (Some(since), Some(t)) => t >= since,
            _ => true,
        })
        .map(cost)
        .sum()
}

/// Spent in `scope` in the 24 h before `now`.
pub fn spent_last_24h<'a>(
    spends: impl IntoIterator<Item = &'a Spend>,
    scope: Scope<'_>,
    now: Timestamp,
) -> u64 {
    spent(spends, scope, Some(now - SignedDuration::from_hours(24)))
}

/// What remains of `budget` after `spent`; `None` budget: no limit.
pub fn remaining(budget: Option<u64>, spent: u64) -> Option<u64> {
    budget.map(|b| b.saturating_sub(spent))
}

/// The unresolved intents of a Neuron (by name), oldest first.
pub fn in_flight<'a>(spends: &'a [Spend], neuron: &str) -> Vec<&'a Spend> {
    let mut v: Vec<&Spend> = spends
        .iter()
        .filter(|s| s.spec.neuron == neuron && !s.resolved())
        .collect();
    v.sort_by_key(|s| s.spec.nonce);
    v
}

/// The unresolved intents of a signing account, lowest nonce first.
pub fn in_flight_of_signer<'a>(spends: &'a [Spend], signer: &str) -> Vec<&'a Spend> {
    let mut v: Vec<&Spend> = spends
        .iter()
        .filter(|s| s.spec.signer == signer && !s.resolved())
        .collect();
    v.sort_by_key(|s| s.spec.nonce);
    v
}

/// How many records a Neuron's status keeps of each kind; the ledger has them all.
pub const STATUS_RECORDS: usize = 10;

fn newest_last<'a>(spends: &'a [Spend], neuron: &str, calls: &[SpendCall]) -> Vec<&'a Spend> {
    let mut v: Vec<&Spend> = spends
        .iter()
        .filter(|s| s.spec.neuron == neuron && calls.contains(&s.spec.call) && s.resolved())
        .collect();
    v.sort_by(|a, b| {
        a.spec
            .at
            .cmp(&b.spec.at)
            .then(a.spec.nonce.cmp(&b.spec.nonce))
    });
    let skip = v.len().saturating_sub(STATUS_RECORDS);
    v.into_iter().skip(skip).collect()
}

/// The Neuron's resolved registrations as its status shows them (newest last).
pub fn registration_records(spends: &[Spend], neuron: &str) -> Vec<RegistrationRecord> {
    newest_last(spends, neuron, &[SpendCall::Register])
        .into_iter()
        .map(|s| {
            let st = s.status.clone().unwrap_or_default();
            RegistrationRecord {
                block: st.block.unwrap_or(s.spec.birth_block),
                tx_hash: st.tx_hash,
                paid_rao: st.paid_rao,
                result: st.result.unwrap_or_default(),
                hotkey: Some(s.spec.hotkey.clone()),
                at: st.resolved_at.or(Some(s.spec.at.clone())),
            }
        })
        .collect()
}

/// The Neuron's resolved stake operations as its status shows them (newest last).
pub fn stake_records(spends: &[Spend], neuron: &str) -> Vec<StakeRecord> {
    newest_last(
        spends,
        neuron,
        &[SpendCall::AddStake, SpendCall::RemoveStake],
    )
    .into_iter()
    .map(|s| {
        let st = s.status.clone().unwrap_or_default();
        let (kind, amount) = match s.spec.call {
            SpendCall::RemoveStake => (StakeKind::Remove, st.alpha_rao),
            _ => (StakeKind::Add, st.paid_rao),
        };
        StakeRecord {
            kind,
            block: st.block.unwrap_or(s.spec.birth_block),
            tx_hash: st.tx_hash,
            amount_rao: amount,
            result: st.result.unwrap_or_default(),
            at: Some(s.spec.at.clone()),
        }
    })
    .collect()
}

/// Whether the Neuron's hotkey registered successfully at least once (for `reregister`).
pub fn ever_registered(spends: &[Spend], neuron: &str) -> bool {
    spends.iter().any(|s| {
        s.spec.neuron == neuron
            && s.spec.call == SpendCall::Register
            && s.status
                .as_ref()
                .and_then(|st| st.result.as_deref())
                .is_some_and(|r| r.starts_with("Success"))
    })
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
pub(crate) mod tests;
