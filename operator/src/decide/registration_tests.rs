use super::*;

const TAO: u64 = 1_000_000_000;

fn view(uid: Option<u16>, burn: u64, allowed: bool) -> Option<ChainView> {
    Some(ChainView {
        uid,
        burn_rao: burn,
        registration_allowed: allowed,
    })
}

fn auto(cap: u64, chain: Option<ChainView>) -> RegistrationInput {
    RegistrationInput {
        mode: RegistrationMode::Auto,
        reregister: true,
        has_coldkey: true,
        cap_rao: cap,
        budget_remaining_rao: None,
        chain,
        pending: None,
        was_registered: false,
    }
}

fn intent(nonce: u64, until: u64) -> RegistrationIntent {
    RegistrationIntent {
        hotkey: "5F".into(),
        limit_rao: TAO,
        nonce,
        mortal_until_block: until,
        tx_hash: None,
        at: "2026-11-22T00:00:00Z".into(),
    }
}

#[test]
fn decision_table() {
    let blocked = RegistrationStep::Blocked;
    let cases: Vec<(&str, RegistrationInput, RegistrationStep)> = vec![
        (
            "no snapshot yet",
            auto(TAO, None),
            RegistrationStep::WaitForChain,
        ),
        (
            "registered",
            auto(TAO, view(Some(7), 2 * TAO, true)),
            RegistrationStep::Registered { uid: 7 },
        ),
        (
            "burn under cap",
            auto(TAO, view(None, TAO / 2, true)),
            RegistrationStep::Register { limit_rao: TAO },
        ),
        (
            "burn equal to cap",
            auto(TAO, view(None, TAO, true)),
            RegistrationStep::Register { limit_rao: TAO },
        ),
        (
            "burn above cap",
            auto(TAO, view(None, TAO + 1, true)),
            blocked(Blocked::BurnAboveCap {
                burn: TAO + 1,
                cap: TAO,
            }),
        ),
        (
            "disabled",
            auto(TAO, view(None, 1, false)),
            blocked(Blocked::RegistrationDisabled),
        ),
        (
            "external never spends",
            RegistrationInput {
                mode: RegistrationMode::External,
                ..auto(TAO, view(None, 1, true))
            },
            RegistrationStep::WaitExternal,
        ),
        (
            "no coldkey",
            RegistrationInput {
                has_coldkey: false,
                ..auto(TAO, view(None, 1, true))
            },
            blocked(Blocked::NoColdkey),
        ),
        (
            "deregistered, reregister off",
            RegistrationInput {
                was_registered: true,
                reregister: false,
                ..auto(TAO, view(None, 1, true))
            },
            blocked(Blocked::ReregisterDisabled),
        ),
        (
            "deregistered, reregister on",
            RegistrationInput {
                was_registered: true,
                ..auto(TAO, view(None, 1, true))
            },
            RegistrationStep::Register { limit_rao: TAO },
        ),
        (
            "budget clips the limit",
            RegistrationInput {
                budget_remaining_rao: Some(TAO / 2),
                ..auto(TAO, view(None, TAO / 4, true))
            },
            RegistrationStep::Register { limit_rao: TAO / 2 },
        ),
        (
            "budget exhausted",
            RegistrationInput {
                budget_remaining_rao: Some(TAO / 4),
                ..auto(TAO, view(None, TAO / 2, true))
            },
            blocked(Blocked::BudgetExhausted {
                needed: TAO / 2,
                remaining: TAO / 4,
            }),
        ),
        (
            "pending intent wins over a stale cache saying unregistered",
            RegistrationInput {
                pending: Some(intent(3, 100)),
                ..auto(TAO, view(None, 1, true))
            },
            RegistrationStep::ResolveIntent,
        ),
        (
            "pending intent wins even without a snapshot",
            RegistrationInput {
                pending: Some(intent(3, 100)),
                ..auto(TAO, None)
            },
            RegistrationStep::ResolveIntent,
        ),
    ];
    for (name, input, want) in cases {
        assert_eq!(decide(&input), want, "{name}");
    }
}

#[test]
fn intent_resolution_table() {
    let i = intent(5, 100);
    let cases = [
        (
            "registered",
            IntentProbe {
                head: 90,
                uid: Some(3),
                signer_nonce: 6,
            },
            IntentResolution::Registered { uid: 3 },
        ),
        (
            "registered even after expiry",
            IntentProbe {
                head: 500,
                uid: Some(3),
                signer_nonce: 6,
            },
            IntentResolution::Registered { uid: 3 },
        ),
        (
            "nonce used, not registered",
            IntentProbe {
                head: 90,
                uid: None,
                signer_nonce: 6,
            },
            IntentResolution::NonceUsedNotRegistered,
        ),
        (
            "in window, nonce unused",
            IntentProbe {
                head: 100,
                uid: None,
                signer_nonce: 5,
            },
            IntentResolution::StillPending,
        ),
        (
            "past window, nonce unused",
            IntentProbe {
                head: 101,
                uid: None,
                signer_nonce: 5,
            },
            IntentResolution::Expired,
        ),
    ];
    for (name, probe, want) in cases {
        assert_eq!(resolve_intent(&i, &probe), want, "{name}");
    }
}

#[test]
fn spend_window_counts_recent_and_undated_records() {
    let rec = |paid, at: Option<&str>| RegistrationRecord {
        block: 1,
        tx_hash: None,
        paid_rao: paid,
        result: "Success".into(),
        hotkey: None,
        at: at.map(String::from),
    };
    let records = [
        rec(1, Some("2026-11-20T00:00:00Z")), // too old
        rec(10, Some("2026-11-21T12:00:00Z")),
        rec(100, None), // unknown time: counted
        rec(1000, Some("not a time")),
    ];
    let since: jiff::Timestamp = "2026-11-21T00:00:00Z".parse().unwrap();
    assert_eq!(spent_since(&records, &since), 1110);
}
