//! Which Neurons a chain poll event, or a Neuron's deletion, concerns.

use crate::api::Neuron;
use crate::chain::poller::PollEvent;
use kube::runtime::reflector::ObjectRef;
use kube::ResourceExt;
use std::sync::Arc;

/// Neurons of the event's Subnet to reconcile: all of them when the Subnet-level view changed;
/// those whose hotkey's figures changed; on a burn change, those without a uid (they may be
/// waiting for the burn to fall under their cap).
pub fn affected(ev: &PollEvent, neurons: &[Arc<Neuron>]) -> Vec<ObjectRef<Neuron>> {
    let c = &ev.change;
    if !c.subnet && !c.burn && c.hotkeys.is_empty() {
        return Vec::new();
    }
    let changed: Vec<String> = ev.change.hotkeys.iter().map(|h| h.ss58()).collect();
    neurons
        .iter()
        .filter(|n| {
            n.namespace().as_deref() == Some(ev.subnet.namespace.as_str())
                && n.spec.subnet == ev.subnet.name
        })
        .filter(|n| {
            let status = n.status.as_ref();
            ev.change.subnet
                || (ev.change.burn && status.is_none_or(|s| s.uid.is_none()))
                || status
                    .and_then(|s| s.hotkey.as_ref())
                    .is_none_or(|hk| changed.contains(hk))
        })
        .map(|n| ObjectRef::from_obj(n.as_ref()))
        .collect()
}

/// Neurons currently holding `HotkeyConflict=True`, in any namespace (the holder they lost to
/// may have been in another).
pub fn in_conflict(neurons: &[Arc<Neuron>]) -> Vec<ObjectRef<Neuron>> {
    neurons
        .iter()
        .filter(|n| {
            n.status.as_ref().is_some_and(|s| {
                crate::api::is_true(&s.conditions, crate::api::types::HOTKEY_CONFLICT)
            })
        })
        .map(|n| ObjectRef::from_obj(n.as_ref()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::cache::Change;
    use crate::chain::AccountId;
    use crate::chain::SubnetKey;

    fn neuron(ns: &str, name: &str, subnet: &str, hotkey: Option<[u8; 32]>) -> Arc<Neuron> {
        let mut n = Neuron::new(
            name,
            serde_json::from_value(serde_json::json!(
            {"subnet": subnet, "role": "miner", "image": "i"}))
            .unwrap(),
        );
        n.metadata.namespace = Some(ns.into());
        n.status = hotkey.map(|h| crate::api::NeuronStatus {
            hotkey: Some(AccountId(h).ss58()),
            ..Default::default()
        });
        Arc::new(n)
    }

    #[test]
    fn poll_events_reach_the_right_neurons() {
        let all = vec![
            neuron("a", "hk1", "sn", Some([1; 32])),
            neuron("a", "hk2", "sn", Some([2; 32])),
            neuron("a", "fresh", "sn", None),
            neuron("a", "other-subnet", "sn2", Some([1; 32])),
            neuron("b", "other-ns", "sn", Some([1; 32])),
        ];
        let ev = |subnet, hotkeys: &[u8]| PollEvent {
            subnet: SubnetKey {
                namespace: "a".into(),
                name: "sn".into(),
            },
            change: Change {
                subnet,
                burn: false,
                hotkeys: hotkeys.iter().map(|b| AccountId([*b; 32])).collect(),
                endpoints: false,
            },
        };
        let endpoints_only = PollEvent {
            change: Change {
                endpoints: true,
                ..Change::default()
            },
            ..ev(false, &[])
        };
        assert!(
            affected(&endpoints_only, &all).is_empty(),
            "an endpoint's state is the Subnet's business"
        );
        // (event, names reconciled): hotkey-level changes reach their Neuron (and those whose
        // hotkey is not known yet); Subnet-level changes reach every Neuron of the Subnet.
        let cases = [
            (ev(false, &[1]), vec!["hk1", "fresh"]),
            (ev(false, &[3]), vec!["fresh"]),
            (ev(true, &[]), vec!["hk1", "hk2", "fresh"]),
        ];
        for (e, want) in cases {
            let got: Vec<String> = affected(&e, &all).into_iter().map(|r| r.name).collect();
            assert_eq!(got, want, "{e:?}");
        }
    }

    #[test]
    fn conflicted_neurons_are_found_in_every_namespace() {
        let conflicted = |ns: &str, name: &str| {
            let mut n = (*neuron(ns, name, "sn", Some([1; 32]))).clone();
            n.status.as_mut().unwrap().conditions = crate::api::merge_conditions(
                &[],
                &[crate::api::CondSpec::new(
                    crate::api::types::HOTKEY_CONFLICT,
                    true,
                    "HotkeyConflict",
                    "",
                )],
                None,
                &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::UNIX_EPOCH),
            );
            Arc::new(n)
        };
        let all = vec![
            conflicted("a", "loser"),
            neuron("a", "holder", "sn", Some([1; 32])),
            conflicted("b", "elsewhere"),
        ];
        let got: Vec<String> = in_conflict(&all).into_iter().map(|r| r.name).collect();
        assert_eq!(got, ["loser", "elsewhere"]);
    }
}
