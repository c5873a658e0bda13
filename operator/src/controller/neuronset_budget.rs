//! A NeuronSet's budget as the registration executor needs it for one member: read fresh (the
//! set's ledger and the members' records and intents), one member of a set at a time.
//!
//! Two members deciding at once would each see the same remainder and could together overspend
//! it. So a decision takes the set's turn (a per-set lock in this process; with leader election
//! only one process reconciles) and keeps it until the member's intent is recorded: the next
//! member then counts that intent as in flight (`budget_remaining_for` reserves its limit).

use super::error::Result;
use crate::api::{labels, Neuron, NeuronSet};
use crate::decide::neuronset::budget_remaining_for;
use kube::api::ListParams;
use kube::{Client, ResourceExt};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use tokio::sync::OwnedMutexGuard;

/// What a set member may still burn. Hold it until the registration intent is recorded (or the
/// decision not to register is made); dropping it gives the set's turn to the next member.
pub struct SetBudget {
    pub remaining_rao: u64,
    _turn: OwnedMutexGuard<()>,
}

type Turns = Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;
static TURNS: LazyLock<Turns> = LazyLock::new(Mutex::default);

/// The NeuronSet controlling `neuron`, if any.
pub fn owning_set(neuron: &Neuron) -> Option<String> {
    neuron
        .owner_references()
        .iter()
        .find(|o| o.controller == Some(true) && o.kind == "NeuronSet")
        .map(|o| o.name.clone())
}

/// `None` when the Neuron is not in a set or the set has no budget. A member whose set is gone
/// (it is being garbage-collected) gets nothing to spend.
pub async fn set_budget(client: &Client, neuron: &Neuron) -> Result<Option<SetBudget>> {
    let (Some(set_name), Some(ns)) = (owning_set(neuron), neuron.namespace()) else {
        return Ok(None);
    };
    let lock = TURNS
        .lock()
        .expect("set turns lock")
        .entry(format!("{ns}/{set_name}"))
        .or_default()
        .clone();
    let turn = lock.lock_owned().await;
    let Some(set) = super::lenient::read::one::<NeuronSet>(client, &ns, &set_name).await? else {
        return Ok(Some(SetBudget {
            remaining_rao: 0,
            _turn: turn,
        }));
    };
    // Every member's records count: one that does not decode stops the set's spending.
    let selector = ListParams::default().labels(&format!("{}={set_name}", labels::NEURON_SET));
    let members: Vec<Neuron> = super::lenient::read::every(client, &ns, &selector).await?;
    Ok(
        budget_remaining_for(&set, &members).map(|remaining_rao| SetBudget {
            remaining_rao,
            _turn: turn,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

    #[test]
    fn owning_set_is_the_controller_neuronset() {
        let owner = |kind: &str, controller| OwnerReference {
            api_version: "tensorfleet.io/v1alpha1".into(),
            kind: kind.into(),
            name: "fleet".into(),
            uid: "u".into(),
            controller,
            block_owner_deletion: None,
        };
        let cases = [
            (vec![], None),
            (vec![owner("NeuronSet", Some(true))], Some("fleet")),
            (vec![owner("NeuronSet", None)], None),
            (vec![owner("Other", Some(true))], None),
        ];
        for (refs, want) in cases {
            let mut n = Neuron::new(
                "fleet-0",
                serde_yaml::from_str("{subnet: s, role: miner, image: i}").unwrap(),
            );
            n.metadata.owner_references = Some(refs.clone());
            assert_eq!(owning_set(&n).as_deref(), want, "{refs:?}");
        }
    }
}
