//! The set's burn budget and its members. What the set has spent is a sum over the ledger
//! (`decide::ledger`, scope `Set`): it survives member deletion, scale-down, the set's own
//! deletion and recreation under the same name, and operator restarts.

use crate::api::{labels, Neuron, NeuronSet};
use kube::ResourceExt;

/// The set's budget in rao; an unparsable amount counts as zero (never spend on a bad cap).
pub fn budget_rao(set: &NeuronSet) -> Option<u64> {
    set.spec
        .budget
        .as_ref()
        .map(|b| b.max_total_burn_tao.to_rao().unwrap_or(0))
}

/// Members of `set` among `neurons`: its label and a controller reference to it.
pub fn members_of<'a>(
    set: &NeuronSet,
    neurons: impl IntoIterator<Item = &'a Neuron>,
) -> Vec<&'a Neuron> {
    let uid = set.uid();
    neurons
        .into_iter()
        .filter(|n| n.metadata.namespace == set.metadata.namespace)
        .filter(|n| n.labels().get(labels::NEURON_SET) == Some(&set.name_any()))
        .filter(|n| {
            uid.is_none()
                || n.owner_references()
                    .iter()
                    .any(|o| o.controller == Some(true) && Some(&o.uid) == uid.as_ref())
        })
        .collect()
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
