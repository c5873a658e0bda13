//! Names, labels and owner references shared by every child of a Neuron.

use crate::api::{labels, Neuron};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::{Resource, ResourceExt};
use std::collections::BTreeMap;

/// Wallet directory name inside the pod when `spec.wallet.name` is not set: the Neuron's name.
pub fn wallet_name(neuron: &Neuron) -> String {
    neuron
        .spec
        .wallet
        .name
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| neuron.name_any())
}

/// Name of the Secret holding the hotkey: `spec.wallet.hotkeySecret` or `<neuron>-hotkey`.
/// Whether `neuron` takes its hotkey from Secret `secret` (`hotkey_secret_name`, without
/// building the name: this runs for every Neuron of the fleet per Secret event and per conflict
/// check).
pub fn uses_hotkey_secret(neuron: &Neuron, secret: &str) -> bool {
    match neuron.spec.wallet.hotkey_secret.as_deref() {
        Some(n) if !n.is_empty() => n == secret,
        _ => secret.strip_suffix("-hotkey") == Some(neuron.metadata.name.as_deref().unwrap_or("")),
    }
}

pub fn hotkey_secret_name(neuron: &Neuron) -> String {
    neuron
        .spec
        .wallet
        .hotkey_secret
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("{}-hotkey", neuron.name_any()))
}

/// The Secret mounted into the pod: `<neuron>-wallet`.
pub fn wallet_secret_name(neuron: &Neuron) -> String {
    format!("{}-wallet", neuron.name_any())
}

/// The axon Service: `<neuron>-axon`.
pub fn axon_service_name(neuron: &Neuron) -> String {
    format!("{}-axon", neuron.name_any())
}

/// Labels on every child (and on the pod template) per API.md; the NeuronSet label is passed on
/// when the Neuron is a set member so fleets can be selected as a whole.
pub fn child_labels(neuron: &Neuron) -> BTreeMap<String, String> {
    let mut l = selector_labels(neuron);
    l.insert(labels::SUBNET.into(), neuron.spec.subnet.clone());
    l.insert(labels::ROLE.into(), neuron.spec.role.as_str().into());
    if let Some(set) = neuron.labels().get(labels::NEURON_SET) {
        l.insert(labels::NEURON_SET.into(), set.clone());
    }
    l
}

/// The immutable StatefulSet selector: only labels that can never change for a Neuron.
pub fn selector_labels(neuron: &Neuron) -> BTreeMap<String, String> {
    BTreeMap::from([
        (labels::MANAGED_BY.into(), labels::MANAGED_BY_VALUE.into()),
        (labels::NEURON.into(), neuron.name_any()),
    ])
}

/// Controller owner reference to the Neuron (controller and blockOwnerDeletion set), so children
/// are garbage-collected with it and watched back to it.
pub fn owner_ref(neuron: &Neuron) -> OwnerReference {
    OwnerReference {
        api_version: Neuron::api_version(&()).into(),
        kind: Neuron::kind(&()).into(),
        name: neuron.name_any(),
        uid: neuron.uid().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::testutil::neuron;

    #[test]
    fn uses_hotkey_secret_agrees_with_the_name() {
        let plain = neuron("miner-0", "sn21", "miner");
        let mut custom = plain.clone();
        custom.spec.wallet.hotkey_secret = Some("hk".into());
        let mut empty = plain.clone();
        empty.spec.wallet.hotkey_secret = Some(String::new());
        for n in [&plain, &custom, &empty] {
            for secret in [
                "miner-0-hotkey",
                "hk",
                "miner-0",
                "miner-1-hotkey",
                "-hotkey",
                "",
            ] {
                assert_eq!(
                    uses_hotkey_secret(n, secret),
                    hotkey_secret_name(n) == secret,
                    "{:?} {secret}",
                    n.spec.wallet.hotkey_secret
                );
            }
        }
    }

    #[test]
    fn names_follow_api_defaults_and_overrides() {
        let plain = neuron("miner-0", "sn21", "miner");
        let mut custom = plain.clone();
        custom.spec.wallet.name = Some("fleet".into());
        custom.spec.wallet.hotkey_secret = Some("hk".into());
        let mut empty = plain.clone();
        empty.spec.wallet.name = Some(String::new());
        empty.spec.wallet.hotkey_secret = Some(String::new());
        let cases = [
            (&plain, "miner-0", "miner-0-hotkey"),
            (&custom, "fleet", "hk"),
            (&empty, "miner-0", "miner-0-hotkey"),
        ];
        for (n, wallet, secret) in cases {
            assert_eq!(wallet_name(n), wallet);
            assert_eq!(hotkey_secret_name(n), secret);
            assert_eq!(wallet_secret_name(n), "miner-0-wallet");
            assert_eq!(axon_service_name(n), "miner-0-axon");
        }
    }

    #[test]
    fn labels_carry_neuron_subnet_role_and_set() {
        let mut n = neuron("v-1", "sn1", "validator");
        let l = child_labels(&n);
        assert_eq!(l[labels::MANAGED_BY], "tensorfleet");
        assert_eq!(l[labels::NEURON], "v-1");
        assert_eq!(l[labels::SUBNET], "sn1");
        assert_eq!(l[labels::ROLE], "validator");
        assert!(!l.contains_key(labels::NEURON_SET));
        n.metadata.labels = Some(BTreeMap::from([(labels::NEURON_SET.into(), "v".into())]));
        assert_eq!(child_labels(&n)[labels::NEURON_SET], "v");
        assert_eq!(selector_labels(&n).len(), 2);
    }

    #[test]
    fn owner_ref_is_controller_and_blocks_deletion() {
        let o = owner_ref(&neuron("a", "s", "miner"));
        assert_eq!(o.kind, "Neuron");
        assert_eq!(o.api_version, "tensorfleet.io/v1alpha1");
        assert_eq!(o.uid, "uid-a");
        assert_eq!(o.controller, Some(true));
        assert_eq!(o.block_owner_deletion, Some(true));
    }
}
