use super::*;
use crate::api::{types, NeuronStatus, RegistrationIntent, RegistrationRecord};
use crate::children::member_neuron;
use crate::decide::neuronset::{plan, SetFacts};
use crate::decide::registration::{self, Blocked, ChainView, RegistrationInput, RegistrationStep};

const TAO: u64 = 1_000_000_000;

fn set(budget: Option<&str>) -> NeuronSet {
    let budget = budget
        .map(|b| format!("  budget: {{maxTotalBurnTao: '{b}'}}\n"))
        .unwrap_or_default();
    let mut s: NeuronSet = serde_yaml::from_str(&format!(
        "apiVersion: tensorfleet.io/v1alpha1\nkind: NeuronSet\nmetadata: {{name: fleet, namespace: miners}}\nspec:\n  replicas: 5\n  template: {{subnet: sn21, role: miner, image: img}}\n{budget}"
    ))
    .unwrap();
    s.metadata.uid = Some("set-uid".into());
    s
}

fn rec(block: u64, paid: u64, hotkey: &str) -> RegistrationRecord {
    RegistrationRecord {
        block,
        tx_hash: Some(format!("0x{block:x}")),
        paid_rao: paid,
        result: "Success".into(),
        hotkey: Some(hotkey.into()),
        at: None,
    }
}

fn member(s: &NeuronSet, ordinal: i32, records: Vec<RegistrationRecord>) -> Neuron {
    let mut n = member_neuron(s, ordinal);
    n.status = Some(NeuronStatus {
        registration: records,
        ..Default::default()
    });
    n
}

fn spend(neuron: &str, block: u64, paid: u64, hotkey: &str) -> SpendRecord {
    SpendRecord {
        neuron: neuron.into(),
        hotkey: Some(hotkey.into()),
        block,
        tx_hash: Some(format!("0x{block:x}")),
        paid_rao: paid,
    }
}

#[test]
fn ledger_merge_counts_each_spend_once() {
    let s = set(Some("5"));
    let a = member(&s, 0, vec![rec(10, TAO, "hkA"), rec(11, 0, "hkA")]);
    let b = member(&s, 1, vec![rec(12, 2 * TAO, "hkB")]);
    let ledger = vec![
        spend("fleet-0", 10, TAO, "hkA"),
        spend("fleet-9", 3, TAO, "hkZ"),
    ];
    let merged = merge_spends(&ledger, &[&a, &b]);
    assert_eq!(
        merged,
        vec![
            spend("fleet-9", 3, TAO, "hkZ"),
            spend("fleet-0", 10, TAO, "hkA"),
            spend("fleet-1", 12, 2 * TAO, "hkB"),
        ]
    );
    assert_eq!(total_spent(&merged), 4 * TAO);
    assert_eq!(merge_spends(&merged, &[&a, &b]), merged, "idempotent");
    // A replaced member reuses the name: same name, other hotkey, another spend.
    let again = member(&s, 0, vec![rec(10, TAO, "hkA2")]);
    assert_eq!(merge_spends(&merged, &[&again]).len(), 4);
}

#[test]
fn budget_remaining_table() {
    let s = set(Some("5"));
    let (unbudgeted, bad_cap) = (set(None), set(Some("x")));
    let mut with_ledger = set(Some("5"));
    with_ledger.status = Some(crate::api::NeuronSetStatus {
        spends: vec![spend("fleet-3", 7, 2 * TAO, "gone")],
        ..Default::default()
    });
    let paid = member(&s, 0, vec![rec(10, TAO, "hkA")]);
    let mut in_flight = member(&s, 1, vec![]);
    in_flight.status.as_mut().unwrap().pending_registration = Some(RegistrationIntent {
        hotkey: "hkB".into(),
        limit_rao: TAO / 2,
        ..Default::default()
    });
    let mut foreign = member(&s, 2, vec![rec(11, 3 * TAO, "hkC")]);
    foreign.metadata.owner_references = None;
    let mut other_set = member(&s, 2, vec![rec(11, 3 * TAO, "hkC")]);
    other_set
        .metadata
        .labels
        .as_mut()
        .unwrap()
        .insert(labels::NEURON_SET.into(), "other".into());
    // (name, set, members, remaining)
    let cases: Vec<(&str, &NeuronSet, Vec<Neuron>, Option<u64>)> = vec![
        ("no budget", &unbudgeted, vec![paid.clone()], None),
        ("nothing spent", &s, vec![], Some(5 * TAO)),
        ("a member's record", &s, vec![paid.clone()], Some(4 * TAO)),
        (
            "ledger of a deleted member and a live record",
            &with_ledger,
            vec![paid.clone()],
            Some(2 * TAO),
        ),
        (
            "a registration in flight is reserved",
            &s,
            vec![paid.clone(), in_flight.clone()],
            Some(4 * TAO - TAO / 2),
        ),
        (
            "Neurons not owned by the set do not count",
            &s,
            vec![foreign, other_set],
            Some(5 * TAO),
        ),
        (
            "overspent clamps at zero",
            &with_ledger,
            vec![member(&s, 0, vec![rec(10, 4 * TAO, "hkA")])],
            Some(0),
        ),
        ("unparsable cap spends nothing", &bad_cap, vec![], Some(0)),
    ];
    for (name, set, members, want) in cases {
        assert_eq!(budget_remaining_for(set, &members), want, "{name}");
    }
}

/// Members register one after another, each asking `budget_remaining_for` as the registration
/// executor does: the spends stop exactly at the cap, the rest are blocked with BudgetExhausted,
/// and deleting a member (after the ledger took its records) frees nothing.
#[test]
fn budget_stops_registrations_at_the_cap() {
    // (cap TAO, burn rao, registrations that fit)
    let cases = [
        ("3", TAO, 3),
        ("1", 4 * TAO / 10, 2),
        ("0.5", TAO, 0),
        ("10", TAO, 5),
    ];
    for (cap, burn, fit) in cases {
        let mut s = set(Some(cap));
        let mut members: Vec<Neuron> = (0..5).map(|o| member(&s, o, vec![])).collect();
        let mut outcomes = Vec::new();
        for i in 0..members.len() {
            let input = RegistrationInput {
                has_coldkey: true,
                reregister: true,
                cap_rao: 2 * TAO,
                budget_remaining_rao: budget_remaining_for(&s, &members),
                chain: Some(ChainView {
                    uid: None,
                    burn_rao: burn,
                    registration_allowed: true,
                }),
                ..Default::default()
            };
            let step = registration::decide(&input);
            if let RegistrationStep::Register { limit_rao } = step {
                assert!(burn <= limit_rao);
                let st = members[i].status.as_mut().unwrap();
                st.registration
                    .push(rec(100 + i as u64, burn, &format!("hk{i}")));
            }
            outcomes.push(step);
        }
        let registered = outcomes
            .iter()
            .filter(|o| matches!(o, RegistrationStep::Register { .. }))
            .count();
        assert_eq!(registered, fit, "cap {cap}");
        let cap_rao = crate::api::parse_tao(cap).unwrap();
        let refs: Vec<&Neuron> = members.iter().collect();
        let ledger = merge_spends(&[], &refs);
        assert!(total_spent(&ledger) <= cap_rao, "cap {cap}");
        assert_eq!(total_spent(&ledger), fit as u64 * burn, "cap {cap}");
        for o in &outcomes[fit..] {
            assert!(
                matches!(
                    o,
                    RegistrationStep::Blocked(Blocked::BudgetExhausted { .. })
                ),
                "cap {cap}: {o:?}"
            );
        }
        // Scale down: the set records member 0's spends, then deletes it.
        s.status = Some(crate::api::NeuronSetStatus {
            spends: ledger.clone(),
            ..Default::default()
        });
        members.remove(0);
        let after = budget_remaining_for(&s, &members).unwrap();
        assert_eq!(
            after,
            cap_rao - total_spent(&ledger),
            "cap {cap}: deletion freed budget"
        );
        let p = plan(&SetFacts {
            budget_rao: Some(cap_rao),
            spent_rao: total_spent(&ledger),
            burn_rao: Some(burn),
            ..Default::default()
        });
        let exhausted = p
            .conditions
            .iter()
            .find(|c| c.type_ == types::BUDGET_EXHAUSTED);
        assert_eq!(exhausted.unwrap().status, fit < 5, "cap {cap}");
    }
}
