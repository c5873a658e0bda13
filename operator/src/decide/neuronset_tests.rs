use super::*;
use crate::api::{NeuronStatus, RegistrationIntent, RegistrationRecord};
use crate::build::member_neuron;
use crate::decide::registration::{self, Blocked, ChainView, RegistrationInput, RegistrationStep};

const TAO: u64 = 1_000_000_000;

/// A member: ordinal, updated, ready, registered.
fn m(ordinal: i32, updated: bool, ready: bool, registered: bool) -> MemberView {
    MemberView {
        ordinal,
        updated,
        ready,
        registered,
        ..Default::default()
    }
}

fn ok(ordinal: i32) -> MemberView {
    m(ordinal, true, true, true)
}

fn facts(replicas: i32, members: Vec<MemberView>) -> SetFacts {
    SetFacts {
        replicas,
        max_unavailable: 1,
        members,
        ..Default::default()
    }
}

fn cond<'a>(p: &'a SetPlan, type_: &str) -> Option<&'a CondSpec> {
    p.conditions.iter().find(|c| c.type_ == type_)
}

#[test]
fn ordinals_parse_only_canonical_member_names() {
    let cases = [
        ("fleet-0", Some(0)),
        ("fleet-12", Some(12)),
        ("fleet-01", None),
        ("fleet--1", None),
        ("fleet-x", None),
        ("fleetx-1", None),
        ("other-1", None),
        ("fleet-a-1", None),
    ];
    for (name, want) in cases {
        assert_eq!(ordinal_of("fleet", name), want, "{name}");
    }
}

#[test]
fn scaling_and_replacement_table() {
    let pending = |o| MemberView {
        pending_registration: true,
        ..ok(o)
    };
    let dereg = |o| MemberView {
        deregistered: true,
        ..m(o, true, false, false)
    };
    let deleting = |o| MemberView {
        deleting: true,
        ..ok(o)
    };
    // (name, facts, create, delete, held, replace)
    type Case = (
        &'static str,
        SetFacts,
        Vec<i32>,
        Vec<i32>,
        Vec<i32>,
        Vec<i32>,
    );
    let cases: Vec<Case> = vec![
        ("0 → 0", facts(0, vec![]), vec![], vec![], vec![], vec![]),
        (
            "0 → 5",
            facts(5, vec![]),
            vec![0, 1, 2, 3, 4],
            vec![],
            vec![],
            vec![],
        ),
        (
            "fills gaps",
            facts(3, vec![ok(0), ok(2)]),
            vec![1],
            vec![],
            vec![],
            vec![],
        ),
        (
            "5 → 2: highest first",
            facts(5, (0..5).map(ok).collect()).with_replicas(2),
            vec![],
            vec![4, 3, 2],
            vec![],
            vec![],
        ),
        (
            "a pending registration holds its deletion and the lower ones",
            facts(2, vec![ok(0), ok(1), ok(2), pending(3), ok(4)]),
            vec![],
            vec![4],
            vec![3, 2],
            vec![],
        ),
        (
            "a member being deleted is neither recreated nor deleted again",
            facts(2, vec![ok(0), deleting(1), deleting(2)]),
            vec![],
            vec![],
            vec![],
            vec![],
        ),
        (
            "deregistered, replaceDeregistered off: stays",
            facts(2, vec![ok(0), dereg(1)]),
            vec![],
            vec![],
            vec![],
            vec![],
        ),
        (
            "deregistered, replaceDeregistered on: replaced",
            SetFacts {
                replace_deregistered: true,
                ..facts(2, vec![ok(0), dereg(1)])
            },
            vec![],
            vec![],
            vec![],
            vec![1],
        ),
        (
            "deregistered above replicas: deleted, not replaced",
            SetFacts {
                replace_deregistered: true,
                ..facts(1, vec![ok(0), dereg(1)])
            },
            vec![],
            vec![1],
            vec![],
            vec![],
        ),
        (
            "no replacement once the budget is exhausted",
            SetFacts {
                replace_deregistered: true,
                budget_rao: Some(2 * TAO),
                spent_rao: 2 * TAO,
                ..facts(2, vec![ok(0), dereg(1)])
            },
            vec![],
            vec![],
            vec![],
            vec![],
        ),
        (
            "invalid spec: nothing changes",
            SetFacts {
                invalid: Some("spec.replicas: must not be negative".into()),
                ..facts(5, vec![ok(7)])
            },
            vec![],
            vec![],
            vec![],
            vec![],
        ),
    ];
    for (name, f, create, delete, held, replace) in cases {
        let p = plan(&f);
        assert_eq!(p.create, create, "{name}: create");
        assert_eq!(p.delete, delete, "{name}: delete");
        assert_eq!(p.held, held, "{name}: held");
        assert_eq!(p.replace, replace, "{name}: replace");
    }
}

impl SetFacts {
    fn with_replicas(mut self, n: i32) -> Self {
        self.replicas = n;
        self
    }
}

#[test]
fn rollout_table() {
    // (name, members, maxUnavailable, update, Progressing reason, message contains)
    type Case = (
        &'static str,
        Vec<MemberView>,
        i32,
        Vec<i32>,
        &'static str,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "all current",
            vec![ok(0), ok(1), ok(2)],
            1,
            vec![],
            "Complete",
            "",
        ),
        (
            "starts at ordinal 0",
            vec![
                m(2, false, true, true),
                m(0, false, true, true),
                m(1, false, true, true),
            ],
            1,
            vec![0],
            "RollingUpdate",
            "ordinal(s) 0;",
        ),
        (
            "waits for the updated member: paused, naming it",
            vec![
                m(0, true, false, true),
                m(1, false, true, true),
                m(2, false, true, true),
            ],
            1,
            vec![],
            "RolloutPaused",
            "ordinal(s) 0 to become Ready",
        ),
        (
            "next once Ready",
            vec![ok(0), m(1, false, true, true), m(2, false, true, true)],
            1,
            vec![1],
            "RollingUpdate",
            "2 member(s) on an old template",
        ),
        (
            "a member stuck unready stops the march",
            vec![ok(0), m(1, true, false, true), m(2, false, true, true)],
            1,
            vec![],
            "RolloutPaused",
            "ordinal(s) 1 ",
        ),
        (
            "maxUnavailable 2",
            vec![
                m(0, false, true, true),
                m(1, false, true, true),
                m(2, false, true, true),
            ],
            2,
            vec![0, 1],
            "RollingUpdate",
            "",
        ),
        (
            "unregistered members hold no slot",
            vec![m(0, true, false, false), m(1, false, false, false)],
            1,
            vec![1],
            "RollingUpdate",
            "",
        ),
    ];
    for (name, members, max, update, reason, msg) in cases {
        let n = members.len() as i32;
        let p = plan(&SetFacts {
            max_unavailable: max,
            ..facts(n, members)
        });
        assert_eq!(p.update, update, "{name}: update");
        let c = cond(&p, types::PROGRESSING).unwrap();
        assert_eq!(c.reason, reason, "{name}");
        assert!(c.message.contains(msg), "{name}: {}", c.message);
        assert_eq!(p.unsettled(), reason != "Complete", "{name}: unsettled");
    }
}

#[test]
fn counts_and_ready_condition() {
    let p = plan(&facts(
        3,
        vec![ok(0), m(1, true, false, true), m(2, false, false, false)],
    ));
    assert_eq!(
        p.counts,
        Counts {
            replicas: 3,
            ready: 1,
            registered: 2,
            updated: 2
        }
    );
    let ready = cond(&p, types::READY).unwrap();
    assert!(!ready.status);
    assert_eq!(ready.message, "1/3 members Ready");
    let all = plan(&facts(2, vec![ok(0), ok(1)]));
    assert!(cond(&all, types::READY).unwrap().status);
    let missing = plan(&facts(3, vec![ok(0), ok(1)]));
    assert!(!cond(&missing, types::READY).unwrap().status);
    assert_eq!(
        cond(&missing, types::PROGRESSING).unwrap().reason,
        "Scaling"
    );
}

#[test]
fn budget_condition_table() {
    // (cap, spent, burn, Some(exhausted) or None for no condition)
    let cases = [
        (None, 5 * TAO, Some(TAO), None),
        (Some(5 * TAO), 0, Some(TAO), Some(false)),
        (Some(5 * TAO), 4 * TAO, Some(TAO), Some(false)),
        (Some(5 * TAO), 5 * TAO, Some(TAO), Some(true)),
        (Some(5 * TAO), 6 * TAO, None, Some(true)),
        (Some(5 * TAO), 4 * TAO + 1, Some(TAO), Some(true)),
        (Some(5 * TAO), 4 * TAO + 1, None, Some(false)),
    ];
    for (cap, spent, burn, want) in cases {
        let p = plan(&SetFacts {
            budget_rao: cap,
            spent_rao: spent,
            burn_rao: burn,
            ..facts(0, vec![])
        });
        let got = cond(&p, types::BUDGET_EXHAUSTED).map(|c| c.status);
        assert_eq!(got, want, "cap {cap:?} spent {spent} burn {burn:?}");
    }
}

// ---- budget accounting ----

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
            ..facts(0, vec![])
        });
        assert_eq!(
            cond(&p, types::BUDGET_EXHAUSTED).unwrap().status,
            fit < 5,
            "cap {cap}"
        );
    }
}
