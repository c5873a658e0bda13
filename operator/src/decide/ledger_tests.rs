use super::*;
use crate::api::{SpendSpec, SpendStatus};

const TAO: u64 = 1_000_000_000;

/// A spend of `neuron` (in `set`) on subnet sn, at `at`; `paid` Some = resolved with that result.
pub(crate) fn spend(
    neuron: &str,
    set: Option<&str>,
    call: SpendCall,
    limit: u64,
    at: &str,
    outcome: Option<(&str, u64)>,
) -> Spend {
    let mut s = Spend::new(
        &format!("spend-{neuron}-{at}"),
        SpendSpec {
            subnet: "sn".into(),
            netuid: 21,
            neuron: neuron.into(),
            neuron_uid: None,
            neuron_set: set.map(str::to_string),
            call,
            hotkey: format!("hk-{neuron}"),
            coldkey: "cold".into(),
            signer: "cold".into(),
            limit_rao: limit,
            amount_rao: limit,
            limit_price_rao: None,
            nonce: 0,
            birth_block: 100,
            mortal_until_block: 164,
            at: at.into(),
            subnet_registered_at: None,
        },
    );
    s.status = outcome.map(|(result, paid)| SpendStatus {
        result: Some(result.into()),
        paid_rao: paid,
        block: Some(101),
        ..Default::default()
    });
    s
}

#[test]
fn budgets_are_sums_over_the_ledger() {
    let now: Timestamp = "2026-11-22T12:00:00Z".parse().unwrap();
    let r = SpendCall::Register;
    let ledger = [
        // b1 registered and was deleted since: its burn still counts for the Subnet.
        spend(
            "b1",
            None,
            r,
            5 * TAO,
            "2026-11-22T11:00:00Z",
            Some(("Success", TAO)),
        ),
        // A failed registration paid no burn.
        spend(
            "b2",
            None,
            r,
            5 * TAO,
            "2026-11-22T11:10:00Z",
            Some(("TooManyRegistrationsThisBlock", 0)),
        ),
        // In flight: counts at its limit.
        spend("b3", Some("set"), r, 2 * TAO, "2026-11-22T11:20:00Z", None),
        // A day old: out of the 24 h window, still in the set's lifetime.
        spend(
            "m0",
            Some("set"),
            r,
            TAO,
            "2026-11-21T11:00:00Z",
            Some(("Success", TAO / 2)),
        ),
        // A remove sells alpha: no TAO out.
        spend(
            "v0",
            None,
            SpendCall::RemoveStake,
            0,
            "2026-11-22T11:30:00Z",
            Some(("Success", 7)),
        ),
        spend(
            "v0",
            None,
            SpendCall::AddStake,
            3 * TAO,
            "2026-11-22T11:40:00Z",
            Some(("Success", 2 * TAO)),
        ),
    ];
    let cases = [
        (
            "subnet 24 h",
            Scope::Subnet("sn"),
            Some(now),
            TAO + 2 * TAO + 2 * TAO,
        ),
        ("set lifetime", Scope::Set("set"), None, 2 * TAO + TAO / 2),
        (
            "stake of v0 per day",
            Scope::Neuron("v0", SpendCall::AddStake),
            Some(now),
            2 * TAO,
        ),
        ("registrations of b1", Scope::Neuron("b1", r), None, TAO),
        ("another subnet", Scope::Subnet("other"), None, 0),
    ];
    for (name, scope, window, want) in cases {
        let got = match window {
            Some(now) => spent_last_24h(&ledger, scope, now),
            None => spent(&ledger, scope, None),
        };
        assert_eq!(got, want, "{name}");
    }
    assert_eq!(remaining(Some(5 * TAO), 6 * TAO), Some(0));
    assert_eq!(remaining(None, 6 * TAO), None);
}

#[test]
fn in_flight_and_status_records() {
    let r = SpendCall::Register;
    let mut ledger = vec![
        spend(
            "n",
            None,
            r,
            TAO,
            "2026-11-22T10:00:00Z",
            Some(("TooManyRegistrationsThisBlock", 0)),
        ),
        spend(
            "n",
            None,
            r,
            TAO,
            "2026-11-22T11:00:00Z",
            Some(("Success", TAO / 3)),
        ),
        spend(
            "n",
            None,
            SpendCall::AddStake,
            TAO,
            "2026-11-22T11:30:00Z",
            Some(("Success", TAO)),
        ),
        spend("other", None, r, TAO, "2026-11-22T11:40:00Z", None),
    ];
    let mut pending = spend("n", None, r, TAO, "2026-11-22T12:00:00Z", None);
    pending.spec.nonce = 7;
    ledger.push(pending);
    let regs = registration_records(&ledger, "n");
    assert_eq!(
        regs.iter()
            .map(|r| (r.result.as_str(), r.paid_rao))
            .collect::<Vec<_>>(),
        [("TooManyRegistrationsThisBlock", 0), ("Success", TAO / 3)]
    );
    assert!(ever_registered(&ledger, "n") && !ever_registered(&ledger, "other"));
    assert_eq!(
        in_flight(&ledger, "n")
            .iter()
            .map(|s| s.spec.nonce)
            .collect::<Vec<_>>(),
        [7]
    );
    assert_eq!(in_flight_of_signer(&ledger, "cold").len(), 2);
    let stakes = stake_records(&ledger, "n");
    assert_eq!((stakes.len(), stakes[0].amount_rao), (1, TAO));
    // The status keeps the newest few; the ledger keeps all.
    let many: Vec<Spend> = (0..15)
        .map(|i| {
            spend(
                "m",
                None,
                r,
                1,
                &format!("2026-11-22T10:{i:02}:00Z"),
                Some(("X", i)),
            )
        })
        .collect();
    let kept = registration_records(&many, "m");
    assert_eq!(kept.len(), STATUS_RECORDS);
    assert_eq!((kept[0].paid_rao, kept[9].paid_rao), (5, 14));
}
