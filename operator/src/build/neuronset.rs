//! NeuronSet → member Neurons `<set>-<ordinal>`, each with its own hotkey Secret.

use crate::api::{labels, Neuron, NeuronSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::{Resource, ResourceExt};
use std::collections::BTreeMap;

/// Name of member `ordinal` of `set`.
pub fn member_name(set: &str, ordinal: i32) -> String {
    format!("{set}-{ordinal}")
}

/// The member Neurons of a set, ordinals `0..replicas`. `wallet.hotkeySecret` of the template is
/// ignored: each member uses its own default `<member>-hotkey` (generated when missing).
pub fn member_neurons(set: &NeuronSet) -> Vec<Neuron> {
    let set_name = set.name_any();
    let mut template = set.spec.template.clone();
    template.wallet.hotkey_secret = None;
    (0..set.spec.replicas.max(0))
        .map(|i| {
            let mut n = Neuron::new(&member_name(&set_name, i), template.clone());
            n.metadata = ObjectMeta {
                name: Some(member_name(&set_name, i)),
                namespace: set.namespace(),
                labels: Some(BTreeMap::from([
                    (labels::MANAGED_BY.into(), labels::MANAGED_BY_VALUE.into()),
                    (labels::NEURON_SET.into(), set_name.clone()),
                ])),
                owner_references: set.controller_owner_ref(&()).map(|o| {
                    vec![OwnerReference {
                        block_owner_deletion: Some(true),
                        ..o
                    }]
                }),
                ..Default::default()
            };
            n
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(replicas: i32) -> NeuronSet {
        let mut s: NeuronSet = serde_yaml::from_str(&format!(
            "apiVersion: tensorfleet.io/v1alpha1\nkind: NeuronSet\nmetadata: {{name: fleet, namespace: miners, uid: u1}}\nspec:\n  replicas: {replicas}\n  template: {{subnet: sn21, role: miner, image: img, gpus: 1, wallet: {{hotkeySecret: shared}}}}\n"
        ))
        .unwrap();
        s.metadata.uid = Some("u1".into());
        s
    }

    #[test]
    fn members_by_ordinal() {
        for (replicas, want) in [
            (0, vec![]),
            (3, vec!["fleet-0", "fleet-1", "fleet-2"]),
            (-1, vec![]),
        ] {
            let members = member_neurons(&set(replicas));
            let names: Vec<_> = members.iter().map(|m| m.name_any()).collect();
            assert_eq!(names, want);
            for m in &members {
                assert_eq!(m.spec.wallet.hotkey_secret, None, "template secret ignored");
                assert_eq!(m.spec.gpus, 1);
                assert_eq!(m.labels()[labels::NEURON_SET], "fleet");
                assert_eq!(m.namespace().as_deref(), Some("miners"));
                let o = &m.owner_references()[0];
                assert_eq!((o.kind.as_str(), o.controller), ("NeuronSet", Some(true)));
            }
        }
    }
}
