use super::*;
use crate::decide::identity::Identity;

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
        pending: false,
        was_registered: false,
        identity: Identity::Clear,
        hotkey: "5Old".into(),
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
                pending: true,
                ..auto(TAO, view(None, 1, true))
            },
            RegistrationStep::InFlight,
        ),
        (
            "pending intent wins even without a snapshot",
            RegistrationInput {
                pending: true,
                ..auto(TAO, None)
            },
            RegistrationStep::InFlight,
        ),
        (
            "a swapped hotkey is never registered again, whatever the budget",
            RegistrationInput {
                identity: Identity::HotkeySwapped {
                    new_hotkey: "5New".into(),
                },
                ..auto(TAO, view(None, 1, true))
            },
            blocked(Blocked::Identity {
                identity: Identity::HotkeySwapped {
                    new_hotkey: "5New".into(),
                },
                hotkey: "5Old".into(),
            }),
        ),
        (
            "an in-flight intent still comes first (it resolves before anything is said)",
            RegistrationInput {
                pending: true,
                identity: Identity::SubnetReplaced { was: 1, now: 2 },
                ..auto(TAO, view(None, 1, true))
            },
            RegistrationStep::InFlight,
        ),
        (
            "identity is only asked about a hotkey that is not registered",
            RegistrationInput {
                identity: Identity::HotkeyChanged {
                    registered: "5Old".into(),
                },
                ..auto(TAO, view(Some(3), 1, true))
            },
            RegistrationStep::Registered { uid: 3 },
        ),
    ];
    for (name, input, want) in cases {
        assert_eq!(decide(&input), want, "{name}");
    }
}
