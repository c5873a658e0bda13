use super::*;

const COLD: &str = "5Cold";

fn ours(hotkey: &str, block: u64, subnet_at: Option<u64>) -> Option<OurRegistration> {
    Some(OurRegistration {
        hotkey: hotkey.into(),
        block,
        subnet_registered_at: subnet_at,
    })
}

fn holder(hotkey: &str, coldkey: &str, block: u64) -> Holder {
    Holder {
        hotkey: hotkey.into(),
        coldkey: coldkey.into(),
        registered_at_block: block,
    }
}

fn input(ours: Option<OurRegistration>, neurons: Vec<Holder>) -> IdentityInput {
    IdentityInput {
        hotkey: "5Old".into(),
        coldkey: Some(COLD.into()),
        ours,
        paid_hotkeys: vec!["5Old".into(), "5Sibling".into()],
        network_registered_at: 100,
        neurons,
        confirmed_subnet: None,
        confirmed_hotkey: None,
    }
}

#[test]
fn identity_cases() {
    let swapped = || Identity::HotkeySwapped {
        new_hotkey: "5New".into(),
    };
    let cases: Vec<(&str, IdentityInput, Identity)> = vec![
        (
            "never registered: a first registration is ours to make",
            input(None, vec![holder("5New", COLD, 500)]),
            Identity::Clear,
        ),
        (
            "deregistered (pruned): the uid went to someone else's new registration",
            input(
                ours("5Old", 500, Some(100)),
                vec![holder("5X", "5Other", 900)],
            ),
            Identity::Clear,
        ),
        (
            "swapped: our coldkey holds our registration block under a new hotkey",
            input(
                ours("5Old", 500, Some(100)),
                vec![holder("5New", COLD, 500)],
            ),
            swapped(),
        ),
        (
            "a record from before the subnet's block was kept still finds the swap",
            input(ours("5Old", 500, None), vec![holder("5New", COLD, 500)]),
            swapped(),
        ),
        (
            "the user says it is no swap: the key is registered anew",
            IdentityInput {
                confirmed_hotkey: Some("5Old".into()),
                ..input(
                    ours("5Old", 500, Some(100)),
                    vec![holder("5New", COLD, 500)],
                )
            },
            Identity::Clear,
        ),
        (
            "same block, another coldkey: not ours",
            input(
                ours("5Old", 500, Some(100)),
                vec![holder("5New", "5Other", 500)],
            ),
            Identity::Clear,
        ),
        (
            "same block, a hotkey one of our Neurons paid for: a sibling, not a swap",
            input(
                ours("5Old", 500, Some(100)),
                vec![holder("5Sibling", COLD, 500)],
            ),
            Identity::Clear,
        ),
        (
            "two candidates: ambiguous, nothing claimed (the hotkey-changed rule still guards)",
            input(
                ours("5Old", 500, Some(100)),
                vec![holder("5New", COLD, 500), holder("5New2", COLD, 500)],
            ),
            Identity::Clear,
        ),
        (
            "same coldkey, a later registration on the pruned uid: not a swap",
            input(
                ours("5Old", 500, Some(100)),
                vec![holder("5New", COLD, 501)],
            ),
            Identity::Clear,
        ),
        (
            "the netuid was registered anew: another subnet",
            IdentityInput {
                network_registered_at: 7000,
                ..input(
                    ours("5Old", 500, Some(100)),
                    vec![holder("5New", COLD, 500)],
                )
            },
            Identity::SubnetReplaced {
                was: 100,
                now: 7000,
            },
        ),
        (
            "confirmed for the new subnet's block: clear",
            IdentityInput {
                network_registered_at: 7000,
                confirmed_subnet: Some(7000),
                ..input(ours("5Old", 500, Some(100)), vec![])
            },
            Identity::Clear,
        ),
        (
            "confirmed for an older replacement, replaced again: blocked again",
            IdentityInput {
                network_registered_at: 9000,
                confirmed_subnet: Some(7000),
                ..input(ours("5Old", 500, Some(100)), vec![])
            },
            Identity::SubnetReplaced {
                was: 100,
                now: 9000,
            },
        ),
        (
            "the Secret holds another key than the one this Neuron paid for",
            IdentityInput {
                hotkey: "5Fresh".into(),
                ..input(ours("5Old", 500, Some(100)), vec![])
            },
            Identity::HotkeyChanged {
                registered: "5Old".into(),
            },
        ),
        (
            "a new key the user confirmed",
            IdentityInput {
                hotkey: "5Fresh".into(),
                confirmed_hotkey: Some("5Fresh".into()),
                ..input(ours("5Old", 500, Some(100)), vec![])
            },
            Identity::Clear,
        ),
        (
            "a confirmation names another key: still blocked",
            IdentityInput {
                hotkey: "5Fresh".into(),
                confirmed_hotkey: Some("5Other".into()),
                ..input(ours("5Old", 500, Some(100)), vec![])
            },
            Identity::HotkeyChanged {
                registered: "5Old".into(),
            },
        ),
    ];
    for (what, i, want) in cases {
        assert_eq!(check(&i), want, "{what}");
    }
}

#[test]
fn messages_name_the_keys_and_the_confirmation() {
    let m = Identity::HotkeySwapped {
        new_hotkey: "5New".into(),
    }
    .message("5Old");
    assert!(m.contains("5Old") && m.contains("5New"), "{m}");
    let m = Identity::SubnetReplaced { was: 1, now: 2 }.message("5Old");
    assert!(m.contains(CONFIRM_SUBNET) && m.contains("\"2\""), "{m}");
    let m = Identity::HotkeyChanged {
        registered: "5Old".into(),
    }
    .message("5Fresh");
    assert!(m.contains(CONFIRM_HOTKEY) && m.contains("5Fresh"), "{m}");
    assert_eq!(Identity::Clear.reason(), None);
}
