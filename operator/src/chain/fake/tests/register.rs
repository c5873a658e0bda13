//! Registration: burn dynamics, checks in order, uid replacement.

use super::*;

#[test]
fn burn_grows_by_1_26_and_decays_with_half_life_360_within_bounds() {
    struct Case {
        name: &'static str,
        burn: u64,
        min: u64,
        max: u64,
        elapsed: u64,
        expect_now: u64,
        expect_after_registration: u64,
    }
    let cases = [
        Case {
            name: "no decay in the same block",
            burn: TAO,
            min: 0,
            max: 100 * TAO,
            elapsed: 0,
            expect_now: TAO,
            expect_after_registration: 1_260_000_000,
        },
        Case {
            name: "one half-life halves it",
            burn: TAO,
            min: 0,
            max: 100 * TAO,
            elapsed: 360,
            expect_now: 500_000_000,
            expect_after_registration: 630_000_000,
        },
        Case {
            name: "two half-lives quarter it",
            burn: TAO,
            min: 0,
            max: 100 * TAO,
            elapsed: 720,
            expect_now: 250_000_000,
            expect_after_registration: 315_000_000,
        },
        Case {
            name: "half a half-life: 1/sqrt(2)",
            burn: TAO,
            min: 0,
            max: 100 * TAO,
            elapsed: 180,
            expect_now: 707_106_781,
            expect_after_registration: 890_954_544,
        },
        Case {
            name: "decay clamped at min_burn",
            burn: TAO,
            min: 400_000_000,
            max: 100 * TAO,
            elapsed: 720,
            expect_now: 400_000_000,
            expect_after_registration: 504_000_000,
        },
        Case {
            name: "growth clamped at max_burn",
            burn: TAO,
            min: 0,
            max: 1_100_000_000,
            elapsed: 0,
            expect_now: TAO,
            expect_after_registration: 1_100_000_000,
        },
    ];
    for c in cases {
        let mut s = state();
        s.patch_subnet(
            NETUID,
            &serde_json::json!({"burn": c.burn, "min_burn": c.min, "max_burn": c.max}),
        )
        .unwrap();
        s.account_mut(&acct(1)).free = 100 * TAO;
        s.advance(c.elapsed);
        let now = s.snapshot(NETUID, &Default::default()).unwrap().params.burn;
        assert_eq!(now, c.expect_now, "{}: burn now", c.name);
        let sub = signed(&s, acct(1), register_call(NETUID, acct(10), u64::MAX));
        let out = s.submit(sub).unwrap();
        assert_eq!(out.result, TxResult::Success, "{}", c.name);
        assert_eq!(
            out.burned_rao, c.expect_now,
            "{}: paid the current burn",
            c.name
        );
        let after = s.snapshot(NETUID, &Default::default()).unwrap().params.burn;
        assert_eq!(after, c.expect_after_registration, "{}: after", c.name);
    }
}

#[test]
fn registration_checks_in_the_real_order() {
    type Setup = fn(&mut ChainState);
    struct Case {
        name: &'static str,
        setup: Setup,
        netuid: u16,
        limit: u64,
        expect: &'static str,
    }
    let nothing: Setup = |_| {};
    let cases = [
        Case {
            name: "root subnet refused",
            setup: |s| {
                s.patch_subnet(0, &serde_json::json!({})).unwrap();
            },
            netuid: 0,
            limit: u64::MAX,
            expect: "RegistrationNotPermittedOnRootSubnet",
        },
        Case {
            name: "missing subnet",
            setup: nothing,
            netuid: 7,
            limit: u64::MAX,
            expect: "SubnetNotExists",
        },
        Case {
            name: "registration disabled",
            setup: |s| {
                s.patch_subnet(NETUID, &serde_json::json!({"registration_allowed": false}))
                    .unwrap();
            },
            netuid: NETUID,
            limit: u64::MAX,
            expect: "SubNetRegistrationDisabled",
        },
        Case {
            // HEAD `do_register_limit`: root, SubnetNotExists, then the limit, then the rest
            // (`subnets/registration.rs:134-163`).
            name: "the limit is checked before already registered",
            setup: |s| {
                s.register_external(NETUID, acct(10), Some(acct(1)), false)
                    .unwrap();
                s.account_mut(&acct(1)).free = FEE + 1;
            },
            netuid: NETUID,
            limit: 1,
            expect: "RegistrationPriceLimitExceeded",
        },
        Case {
            name: "already registered is checked before the balance",
            setup: |s| {
                s.register_external(NETUID, acct(10), Some(acct(1)), false)
                    .unwrap();
                s.account_mut(&acct(1)).free = FEE + 1;
            },
            netuid: NETUID,
            limit: u64::MAX,
            expect: "HotKeyAlreadyRegisteredInSubNet",
        },
        Case {
            name: "price limit is checked before the balance",
            setup: |s| s.account_mut(&acct(1)).free = FEE + 1,
            netuid: NETUID,
            limit: TAO - 1,
            expect: "RegistrationPriceLimitExceeded",
        },
        Case {
            name: "balance below burn (after the fee)",
            setup: |s| s.account_mut(&acct(1)).free = FEE + TAO - 1,
            netuid: NETUID,
            limit: u64::MAX,
            expect: "NotEnoughBalanceToStake",
        },
        Case {
            name: "hotkey owned by another coldkey",
            setup: |s| {
                s.owners.insert(acct(10), acct(2));
            },
            netuid: NETUID,
            limit: u64::MAX,
            expect: "NonAssociatedColdKey",
        },
        Case {
            name: "per-block rate limit",
            setup: |s| {
                s.patch_subnet(NETUID, &serde_json::json!({"max_regs_per_block": 1}))
                    .unwrap();
                s.register_external(NETUID, acct(20), None, false).unwrap();
            },
            netuid: NETUID,
            limit: u64::MAX,
            expect: "TooManyRegistrationsThisBlock",
        },
        Case {
            name: "per-interval rate limit",
            setup: |s| {
                let p =
                    serde_json::json!({"max_regs_per_interval": 2, "regs_interval_blocks": 100});
                s.patch_subnet(NETUID, &p).unwrap();
                s.register_external(NETUID, acct(20), None, false).unwrap();
                s.advance(1);
                s.register_external(NETUID, acct(21), None, false).unwrap();
            },
            netuid: NETUID,
            limit: u64::MAX,
            expect: "TooManyRegistrationsThisInterval",
        },
        Case {
            name: "full subnet, every uid immune",
            setup: |s| {
                s.patch_subnet(NETUID, &serde_json::json!({"max_allowed_uids": 2}))
                    .unwrap();
                s.register_external(NETUID, acct(20), None, false).unwrap();
                s.register_external(NETUID, acct(21), None, false).unwrap();
            },
            netuid: NETUID,
            limit: u64::MAX,
            expect: "NoNeuronIdAvailable",
        },
    ];
    for c in cases {
        let mut s = state();
        (c.setup)(&mut s);
        let before = s.account(&acct(1));
        let sub = signed(&s, acct(1), register_call(c.netuid, acct(10), c.limit));
        let out = s.submit(sub);
        assert_eq!(label(&out), c.expect, "{}", c.name);
        let out = out.unwrap();
        assert_eq!(out.result, failed(c.expect), "{}: pallet", c.name);
        assert_eq!(out.burned_rao, 0, "{}: no burn", c.name);
        assert_eq!(out.fee_rao, FEE, "{}: fee charged", c.name);
        let after = s.account(&acct(1));
        assert_eq!(after.free, before.free - FEE, "{}: only the fee", c.name);
        assert_eq!(after.nonce, before.nonce + 1, "{}: nonce moved", c.name);
    }
}

#[test]
fn successful_registration_pays_burn_and_fee_and_sets_owner() {
    let mut s = state();
    let sub = signed(&s, acct(1), register_call(NETUID, acct(10), TAO));
    let out = s.submit(sub).unwrap();
    assert_eq!(out.result, TxResult::Success);
    assert_eq!((out.burned_rao, out.fee_rao, out.block), (TAO, FEE, HEAD));
    assert_eq!(s.account(&acct(1)).free, 10 * TAO - TAO - FEE);
    assert_eq!(s.uid_of(NETUID, &acct(10)), Some(0));
    assert_eq!(s.owners.get(&acct(10)), Some(&acct(1)));
    let snap = s.snapshot(NETUID, &Default::default()).unwrap();
    assert_eq!(snap.params.subnetwork_n, 1);
    assert_eq!(snap.neurons[0].coldkey, acct(1));
    assert_eq!(snap.neurons[0].registered_at_block, HEAD);
    let burns: Vec<_> = s.ledger.iter().filter(|e| e.burned_rao > 0).collect();
    assert_eq!(burns.len(), 1);
    assert_eq!(burns[0].method, "register_limit");
}

#[test]
fn full_subnet_replaces_the_lowest_emission_non_immune_uid() {
    let mut s = state();
    s.patch_subnet(
        NETUID,
        &serde_json::json!({"max_allowed_uids": 4, "immunity_period": 100}),
    )
    .unwrap();
    // uid: emission, registered at (head 1000 at the end)
    let figures = [
        (20u8, 5u64, 800u64),
        (21, 1, 850),
        (22, 0, 950),
        (23, 1, 800),
    ];
    for (hk, emission, at) in figures {
        s.register_external(NETUID, acct(hk), None, false).unwrap();
        let changes = serde_json::json!({"emission": emission, "registered_at_block": at});
        s.set_figures(NETUID, &acct(hk), &changes).unwrap();
    }
    s.with_axon(NETUID, &acct(23));
    // uid 2 has the lowest emission but is immune (1000 - 950 < 100); uids 1 and 3 tie at 1,
    // uid 3 registered earlier.
    let sub = signed(&s, acct(1), register_call(NETUID, acct(10), u64::MAX));
    assert_eq!(label(&s.submit(sub)), "Success");
    assert_eq!(s.uid_of(NETUID, &acct(10)), Some(3));
    assert_eq!(s.uid_of(NETUID, &acct(23)), None);
    let snap = s.snapshot(NETUID, &Default::default()).unwrap();
    assert_eq!(snap.neurons.len(), 4);
    assert_eq!(
        snap.neurons[3].axon, None,
        "the pruned hotkey's axon is gone"
    );
    assert_eq!(snap.neurons[3].registered_at_block, HEAD);
}

#[test]
fn old_runtime_uses_burned_register_without_a_limit() {
    let mut s = state();
    s.runtime.has_register_limit = false;
    let call = Call::BurnedRegister {
        netuid: NETUID,
        hotkey: acct(10),
    };
    let out = s.submit(signed(&s, acct(1), call)).unwrap();
    assert_eq!((out.result.label(), out.burned_rao), ("Success", TAO));
    assert_eq!(s.ledger[0].method, "burned_register");
}

#[test]
fn admin_deregister_hands_the_uid_to_another_hotkey() {
    let mut s = state();
    let uid = s
        .register_external(NETUID, acct(10), Some(acct(1)), true)
        .unwrap();
    assert_eq!(
        s.snapshot(NETUID, &Default::default()).unwrap().params.burn,
        1_260_000_000
    );
    let (pruned_uid, newcomer) = s.deregister(NETUID, &acct(10), None).unwrap();
    assert_eq!(pruned_uid, uid);
    assert_eq!(s.uid_of(NETUID, &acct(10)), None);
    assert_eq!(s.uid_of(NETUID, &newcomer), Some(uid));
    assert!(s.deregister(NETUID, &acct(10), None).is_err());
    assert!(s.ledger.is_empty(), "admin actions are not extrinsics");
}

#[test]
fn admin_patches_refuse_unknown_keys() {
    let mut s = state();
    let err = s
        .patch_subnet(NETUID, &serde_json::json!({"burnn": 1}))
        .unwrap_err();
    assert!(err.contains("burnn"), "{err}");
    s.register_external(NETUID, acct(10), None, false).unwrap();
    let err = s
        .set_figures(NETUID, &acct(10), &serde_json::json!({"emision": 1}))
        .unwrap_err();
    assert!(err.contains("emision"), "{err}");
    let err = s
        .set_figures(NETUID, &acct(10), &serde_json::json!({"hotkey": acct(11)}))
        .unwrap_err();
    assert!(err.contains("hotkey"), "{err}");
    s.set_figures(
        NETUID,
        &acct(10),
        &serde_json::json!({"incentive": 0.5, "stake": 7}),
    )
    .unwrap();
    let n = &s.snapshot(NETUID, &Default::default()).unwrap().neurons[0];
    assert_eq!(
        (n.incentive, n.stake, n.coldkey),
        (0.5, 7, EXTERNAL_COLDKEY)
    );
    assert!(s.patch_runtime(&serde_json::json!({"fee": 1})).is_err());
}

impl ChainState {
    /// Test helper: give `hotkey` an axon as if it had served at the head.
    fn with_axon(&mut self, netuid: u16, hotkey: &AccountId) {
        let uid = self.uid_of(netuid, hotkey).unwrap() as usize;
        self.subnets.get_mut(&netuid).unwrap().neurons[uid].axon = Some(crate::chain::AxonInfo {
            block: self.head,
            ip: "10.0.0.1".parse().unwrap(),
            port: 8091,
            version: 1,
        });
    }
}
