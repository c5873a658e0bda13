use super::*;
use crate::api::{types, SpendCall};
use crate::children::member_neuron;
use crate::decide::ledger::{self, tests::spend, Scope};
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

#[test]
fn members_are_labelled_and_controlled_by_the_set() {
    let s = set(None);
    let mine = member_neuron(&s, 0);
    let mut stranger = member_neuron(&s, 1);
    stranger.metadata.owner_references = None;
    let mut elsewhere = member_neuron(&s, 2);
    elsewhere.metadata.namespace = Some("other".into());
    let all = [mine, stranger, elsewhere];
    let got: Vec<String> = members_of(&s, &all).iter().map(|n| n.name_any()).collect();
    assert_eq!(got, ["fleet-0"]);
    assert_eq!(budget_rao(&set(Some("2.5"))), Some(5 * TAO / 2));
    assert_eq!(budget_rao(&set(None)), None);
}

/// Members register one after another, each deciding on what the ledger holds (resolved spends
/// at what they paid, intents at their limit); deleting members removes nothing from it.
#[test]
fn budget_stops_registrations_at_the_cap_and_survives_deletion() {
    // (cap TAO, burn rao, registrations that fit)
    let cases = [
        ("3", TAO, 3),
        ("1", 4 * TAO / 10, 2),
        ("0.5", TAO, 0),
        ("10", TAO, 5),
    ];
    for (cap, burn, fit) in cases {
        let s = set(Some(cap));
        let cap_rao = budget_rao(&s).unwrap();
        let mut spends = Vec::new();
        let mut outcomes = Vec::new();
        for i in 0..5 {
            let left = cap_rao.saturating_sub(ledger::spent(&spends, Scope::Set("fleet"), None));
            let input = RegistrationInput {
                has_coldkey: true,
                reregister: true,
                cap_rao: 2 * TAO,
                budget_remaining_rao: Some(left),
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
                let at = format!("2026-12-01T12:0{i}:00Z");
                spends.push(spend(
                    &format!("fleet-{i}"),
                    Some("fleet"),
                    SpendCall::Register,
                    limit_rao,
                    &at,
                    Some(("Success", burn)),
                ));
            }
            outcomes.push(step);
        }
        let registered = outcomes
            .iter()
            .filter(|o| matches!(o, RegistrationStep::Register { .. }))
            .count();
        assert_eq!(registered, fit, "cap {cap}");
        let spent = ledger::spent(&spends, Scope::Set("fleet"), None);
        assert!(spent <= cap_rao, "cap {cap}");
        assert_eq!(spent, fit as u64 * burn, "cap {cap}");
        for o in &outcomes[fit..] {
            assert!(
                matches!(
                    o,
                    RegistrationStep::Blocked(Blocked::BudgetExhausted { .. })
                ),
                "cap {cap}: {o:?}"
            );
        }
        let p = plan(&SetFacts {
            budget_rao: Some(cap_rao),
            spent_rao: spent,
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

#[test]
fn an_intent_in_flight_reserves_its_limit() {
    let spends = vec![
        spend(
            "fleet-0",
            Some("fleet"),
            SpendCall::Register,
            TAO,
            "2026-12-01T12:00:00Z",
            Some(("Success", TAO / 2)),
        ),
        spend(
            "fleet-1",
            Some("fleet"),
            SpendCall::Register,
            2 * TAO,
            "2026-12-01T12:01:00Z",
            None,
        ),
        spend(
            "other-0",
            None,
            SpendCall::Register,
            7 * TAO,
            "2026-12-01T12:02:00Z",
            None,
        ),
    ];
    assert_eq!(
        ledger::spent(&spends, Scope::Set("fleet"), None),
        TAO / 2 + 2 * TAO
    );
}
