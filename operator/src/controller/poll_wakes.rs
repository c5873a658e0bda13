//! Which Neurons a chain poll event, or a Neuron's deletion, concerns.

use crate::api::{Neuron, Role};
use crate::chain::cache::SubnetChainState;
use crate::chain::poller::PollEvent;
use crate::chain::{AccountId, NeuronInfo, SubnetSnapshot};
use crate::decide::pruning::immunity_ends_at;
use crate::decide::weights::WeightAge;
use kube::runtime::reflector::ObjectRef;
use std::sync::Arc;

/// Neurons of the event's Subnet to reconcile: all of them when the Subnet-level view changed;
/// those whose hotkey's figures changed; on a burn change, those without a uid (they may be
/// waiting for the burn to fall under their cap); those with a deadline (`deadlines`) in the
/// blocks the view moved over, read from `snap`, the view the event reports.
pub fn affected(
    ev: &PollEvent,
    neurons: &[Arc<Neuron>],
    view: Option<&SubnetChainState>,
) -> Vec<ObjectRef<Neuron>> {
    let snap = view.and_then(|v| v.snapshot.as_deref());
    let c = &ev.change;
    if !c.subnet && !c.burn && c.hotkeys.is_empty() && c.span.is_none() {
        return Vec::new();
    }
    let changed: Vec<String> = ev.change.hotkeys.iter().map(|h| h.ss58()).collect();
    let due = |n: &Neuron| {
        let (Some((from, to)), Some(snap)) = (c.span, snap) else {
            return false;
        };
        let hotkey = n.status.as_ref().and_then(|s| s.hotkey.as_deref());
        let info = hotkey
            .and_then(|h| AccountId::from_ss58(h).ok())
            .and_then(|h| snap.neuron_by_hotkey(&h));
        info.is_some_and(|i| {
            let since = view.and_then(|v| v.weights_since.get(&i.uid)).map(|w| w.1);
            deadlines(n, i, snap, since)
                .into_iter()
                .any(|d| from < d && d <= to)
        })
    };
    neurons
        .iter()
        .filter(|n| {
            n.metadata.namespace.as_deref() == Some(ev.subnet.namespace.as_str())
                && n.spec.subnet == ev.subnet.name
        })
        .filter(|n| {
            let status = n.status.as_ref();
            ev.change.subnet
                || (ev.change.burn && status.is_none_or(|s| s.uid.is_none()))
                || (!changed.is_empty()
                    && status
                        .and_then(|s| s.hotkey.as_ref())
                        .is_none_or(|hk| changed.contains(hk)))
                || due(n)
        })
        .map(|n| ObjectRef::from_obj(n.as_ref()))
        .collect()
}

/// The blocks at which a registered Neuron's verdict changes with no change of its figures:
/// a validator's weights turning stale (set, or committed without a reveal), the end of its
/// immunity to pruning.
fn deadlines(n: &Neuron, info: &NeuronInfo, snap: &SubnetSnapshot, since: Option<u64>) -> Vec<u64> {
    let (limit, params) = (n.spec.health.max_weight_age_blocks, &snap.params);
    let (last_update, _) = snap.oldest_last_update(info);
    let weights = (n.spec.role == Role::Validator)
        .then(|| WeightAge::of(limit, params, 0, last_update, since))
        .flatten();
    let immunity = immunity_ends_at(info.registered_at_block, params.immunity_period);
    weights
        .iter()
        .flat_map(|w| [Some(w.stale_at()), w.reveals_stale_at()])
        .flatten()
        .chain([immunity])
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
    use crate::chain::{SubnetKey, SubnetParams};

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
                span: None,
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
            affected(&endpoints_only, &all, None).is_empty(),
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
            let got: Vec<String> = affected(&e, &all, None)
                .into_iter()
                .map(|r| r.name)
                .collect();
            assert_eq!(got, want, "{e:?}");
        }
    }

    fn registered(hotkey: u8, last_update: u64, registered_at_block: u64) -> NeuronInfo {
        NeuronInfo {
            last_update,
            registered_at_block,
            ..crate::chain::cache::tests::info(hotkey, 0.0)
        }
    }

    #[test]
    fn deadlines_crossed_by_a_new_block_wake_exactly_their_neurons() {
        let mut validator = (*neuron("a", "v", "sn", Some([1; 32]))).clone();
        validator.spec.role = Role::Validator;
        validator.spec.health.max_weight_age_blocks = Some(5);
        let mut derived = (*neuron("a", "d", "sn", Some([3; 32]))).clone();
        derived.spec.role = Role::Validator;
        let all = vec![
            Arc::new(validator),
            neuron("a", "m", "sn", Some([2; 32])),
            Arc::new(derived),
            neuron("a", "unregistered", "sn", Some([9; 32])),
        ];
        let snap = SubnetSnapshot {
            netuid: 1,
            block: 0,
            params: SubnetParams {
                immunity_period: 100,
                activity_cutoff: 400,
                weights_rate_limit: 10,
                ..SubnetParams::default()
            },
            // v: weights at 100, stale from 106. m: immune until 1100. d: derived limit 200,
            // stale from 301; immune until 100.
            neurons: vec![
                registered(1, 100, 0),
                registered(2, 0, 1000),
                registered(3, 100, 0),
            ],
            pool: None,
            stakes: Vec::new(),
            weights: Vec::new(),
            mechanism_last_update: Vec::new(),
        };
        let view = SubnetChainState {
            snapshot: Some(Arc::new(snap)),
            ..SubnetChainState::default()
        };
        let span = |from, to| PollEvent {
            subnet: SubnetKey {
                namespace: "a".into(),
                name: "sn".into(),
            },
            change: Change {
                span: Some((from, to)),
                ..Change::default()
            },
        };
        let cases: [((u64, u64), &[&str]); 6] = [
            ((104, 105), &[]),
            ((105, 106), &["v"]),
            ((106, 107), &[]),
            ((99, 100), &["v", "d"]),
            ((1099, 1100), &["m"]),
            ((250, 400), &["d"]),
        ];
        for ((from, to), want) in cases {
            let got: Vec<String> = affected(&span(from, to), &all, Some(&view))
                .into_iter()
                .map(|r| r.name)
                .collect();
            assert_eq!(got, want, "{from} → {to}");
        }
        assert!(
            affected(&span(105, 106), &all, None).is_empty(),
            "no view, no deadline"
        );
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
