//! The set's burn budget: the spend ledger (members' records merged, each once) and what a
//! member may still spend. Derived from recorded spends only, so it survives member deletion
//! and operator restarts.

use crate::api::{labels, Neuron, NeuronSet, SpendRecord};
use kube::ResourceExt;

/// The spends a member's status records (burns only: a record that paid nothing costs nothing).
pub fn member_spends(n: &Neuron) -> Vec<SpendRecord> {
    n.status
        .iter()
        .flat_map(|s| s.registration.iter())
        .filter(|r| r.paid_rao > 0)
        .map(|r| SpendRecord {
            neuron: n.name_any(),
            hotkey: r.hotkey.clone(),
            block: r.block,
            tx_hash: r.tx_hash.clone(),
            paid_rao: r.paid_rao,
        })
        .collect()
}

/// The ledger with the members' records added, each spend once (by neuron, hotkey, block and
/// txHash), in a stable order so an unchanged ledger never causes a status write.
pub fn merge_spends(ledger: &[SpendRecord], members: &[&Neuron]) -> Vec<SpendRecord> {
    let key = |s: &SpendRecord| {
        (
            s.block,
            s.neuron.clone(),
            s.hotkey.clone(),
            s.tx_hash.clone(),
        )
    };
    let mut all: Vec<SpendRecord> = ledger.to_vec();
    all.extend(members.iter().flat_map(|n| member_spends(n)));
    all.sort_by_key(key);
    all.dedup_by_key(|s| key(s));
    all
}

pub fn total_spent(ledger: &[SpendRecord]) -> u64 {
    ledger.iter().fold(0, |a, s| a.saturating_add(s.paid_rao))
}

/// The set's budget in rao; an unparsable amount counts as zero (never spend on a bad cap).
pub fn budget_rao(set: &NeuronSet) -> Option<u64> {
    set.spec
        .budget
        .as_ref()
        .map(|b| b.max_total_burn_tao.to_rao().unwrap_or(0))
}

/// Members of `set` among `neurons`: its label and a controller reference to it.
pub fn members_of<'a>(set: &NeuronSet, neurons: &'a [Neuron]) -> Vec<&'a Neuron> {
    let uid = set.uid();
    neurons
        .iter()
        .filter(|n| n.namespace() == set.namespace())
        .filter(|n| n.labels().get(labels::NEURON_SET) == Some(&set.name_any()))
        .filter(|n| {
            uid.is_none()
                || n.owner_references()
                    .iter()
                    .any(|o| o.controller == Some(true) && Some(&o.uid) == uid.as_ref())
        })
        .collect()
}

/// What a member of `set` may still burn registering, in rao (None: the set has no budget):
/// the cap minus every recorded spend (the set's ledger joined with the members' own records,
/// each counted once) minus the limits of registrations in flight. The registration executor
/// calls it for Neurons owned by a set, as `budget_remaining_rao`.
pub fn budget_remaining_for(set: &NeuronSet, members: &[Neuron]) -> Option<u64> {
    let cap = budget_rao(set)?;
    let mine = members_of(set, members);
    let ledger = set
        .status
        .as_ref()
        .map(|s| s.spends.as_slice())
        .unwrap_or_default();
    let spent = total_spent(&merge_spends(ledger, &mine));
    let in_flight = mine
        .iter()
        .filter_map(|n| n.status.as_ref()?.pending_registration.as_ref())
        .fold(0u64, |a, p| a.saturating_add(p.limit_rao));
    Some(cap.saturating_sub(spent).saturating_sub(in_flight))
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
