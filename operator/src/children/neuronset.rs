//! NeuronSet → member Neurons `<set>-<ordinal>`, each with its own hotkey Secret.

use crate::api::{labels, Neuron, NeuronSet, NeuronSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::{Resource, ResourceExt};
use std::collections::BTreeMap;

/// Name of member `ordinal` of `set`.
pub fn member_name(set: &str, ordinal: i32) -> String {
    format!("{set}-{ordinal}")
}

/// Name of the generated hotkey Secret of member `ordinal`.
pub fn member_hotkey_secret(set: &str, ordinal: i32) -> String {
    format!("{}-hotkey", member_name(set, ordinal))
}

/// Hash of what members are stamped from: the template with the per-member fields cleared, so
/// every member of one template version carries the same value.
pub fn template_hash(set: &NeuronSet) -> String {
    spec_hash(&set.spec.template)
}

/// The revision of a template: the hash `template_hash` gives a set with this template.
pub fn spec_hash(template: &NeuronSpec) -> String {
    let mut t = template.clone();
    t.wallet.hotkey_secret = None;
    let json = serde_json::to_vec(&t).unwrap_or_default();
    crate::children::fnv1a_hex(json)
}

/// Hash of spec.template and spec.rollout: a canary-paused rollout resumes when it changes
/// (and only then: scaling does not retry a failed template).
pub fn rollout_spec_hash(set: &NeuronSet) -> String {
    let json = serde_json::to_vec(&(spec_hash(&set.spec.template), &set.spec.rollout));
    crate::children::fnv1a_hex(json.unwrap_or_default())
}

/// The template a member was stamped from, as far as its spec tells (its own hotkey Secret
/// cleared): applying it again yields the member's spec.
pub fn template_of_member(member: &Neuron) -> NeuronSpec {
    let mut t = member.spec.clone();
    t.wallet.hotkey_secret = None;
    t
}

/// Member `ordinal` of `set`: the template with its own hotkey Secret `<set>-<ordinal>-hotkey`
/// (`wallet.hotkeySecret` of the template is ignored), owned by the set, labelled with it and
/// annotated with the template hash. `registration.reregister` is off: a deregistered member's
/// fate is the set's `replaceDeregistered` (a new hotkey, or staying Deregistered).
pub fn member_neuron(set: &NeuronSet, ordinal: i32) -> Neuron {
    member_neuron_at(set, &set.spec.template, &template_hash(set), ordinal)
}

/// Member `ordinal` stamped from `template` (of revision `revision`): a previous template when
/// a failed canary is rolled back, else the set's own.
pub fn member_neuron_at(
    set: &NeuronSet,
    template: &NeuronSpec,
    revision: &str,
    ordinal: i32,
) -> Neuron {
    let set_name = set.name_any();
    let name = member_name(&set_name, ordinal);
    let mut spec = template.clone();
    spec.wallet.hotkey_secret = Some(member_hotkey_secret(&set_name, ordinal));
    spec.registration.reregister = false;
    let mut n = Neuron::new(&name, spec);
    n.metadata = ObjectMeta {
        name: Some(name),
        namespace: set.namespace(),
        labels: Some(BTreeMap::from([
            (labels::MANAGED_BY.into(), labels::MANAGED_BY_VALUE.into()),
            (labels::NEURON_SET.into(), set_name),
        ])),
        annotations: Some(BTreeMap::from([(
            labels::TEMPLATE_HASH.into(),
            revision.to_string(),
        )])),
        owner_references: set.controller_owner_ref(&()).map(|o| {
            vec![OwnerReference {
                block_owner_deletion: Some(true),
                ..o
            }]
        }),
        ..Default::default()
    };
    n
}

/// The member Neurons of a set, ordinals `0..replicas`.
pub fn member_neurons(set: &NeuronSet) -> Vec<Neuron> {
    (0..set.spec.replicas.max(0))
        .map(|i| member_neuron(set, i))
        .collect()
}

/// The NeuronSet controlling `neuron`, if any.
pub fn owning_set(neuron: &Neuron) -> Option<String> {
    neuron
        .owner_references()
        .iter()
        .find(|o| o.controller == Some(true) && o.kind == "NeuronSet")
        .map(|o| o.name.clone())
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
    fn template_hash_follows_the_template_only() {
        let base = set(2);
        let mut scaled = set(5);
        scaled.spec.template.wallet.hotkey_secret = Some("other".into());
        assert_eq!(template_hash(&base), template_hash(&scaled));
        let mut image = set(2);
        image.spec.template.image = "img:2".into();
        assert_ne!(template_hash(&base), template_hash(&image));
    }

    #[test]
    fn a_member_stamped_from_a_previous_template_carries_its_revision() {
        let old = set(2);
        let mut new = set(2);
        new.spec.template.image = "img:2".into();
        let back = member_neuron_at(&new, &old.spec.template, &template_hash(&old), 1);
        assert_eq!(
            back,
            member_neuron(&old, 1),
            "a rollback restores the old member exactly"
        );
        // A member's own spec gives its template back (its hotkey Secret aside).
        let rebuilt = template_of_member(&member_neuron(&old, 0));
        assert_eq!(
            member_neuron_at(&old, &rebuilt, &template_hash(&old), 0),
            member_neuron(&old, 0)
        );
        // Scaling leaves the resume hash alone; the template and spec.rollout change it.
        let mut scaled = set(7);
        assert_eq!(rollout_spec_hash(&scaled), rollout_spec_hash(&old));
        scaled.spec.rollout.max_drop = "50%".into();
        assert_ne!(rollout_spec_hash(&scaled), rollout_spec_hash(&old));
        assert_ne!(rollout_spec_hash(&new), rollout_spec_hash(&old));
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
                let own = format!("{}-hotkey", m.name_any());
                assert_eq!(
                    m.spec.wallet.hotkey_secret,
                    Some(own),
                    "template secret ignored"
                );
                assert!(
                    !m.spec.registration.reregister,
                    "the set decides on replacement"
                );
                assert_eq!(
                    m.annotations()[labels::TEMPLATE_HASH],
                    template_hash(&set(1))
                );
                assert_eq!(m.spec.gpus, 1);
                assert_eq!(m.labels()[labels::NEURON_SET], "fleet");
                assert_eq!(m.namespace().as_deref(), Some("miners"));
                let o = &m.owner_references()[0];
                assert_eq!((o.kind.as_str(), o.controller), ("NeuronSet", Some(true)));
            }
        }
    }

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
