//! What a registration is tied to: a hotkey swap moves the uid to another hotkey of the same
//! coldkey (HEAD `swap/swap_hotkey.rs`); a dissolved netuid registered again is another subnet
//! (`coinbase/root.rs:206-…`, `subnets/subnet.rs:115-291`).

use super::*;
use crate::chain::SnapshotQuery;

/// Past one day of blocks, so that a first swap on one subnet is allowed.
const LATE: u64 = 10_000;

fn swap(old: u8, new: u8, netuid: Option<u16>, keep_stake: bool) -> Call {
    Call::SwapHotkey {
        hotkey: acct(old),
        new_hotkey: acct(new),
        netuid,
        keep_stake,
    }
}

/// Head 10 000; coldkey 1 owns hotkey 10, registered as uid 1 on subnets 1 and 2 (uid 0 is
/// someone else's) and serving on 1, with 2 TAO of its own stake and 3 TAO of coldkey 2's;
/// coldkey 3 owns hotkey 30.
fn swappable() -> ChainState {
    let mut s = state();
    s.head = LATE;
    s.patch_subnet(2, &serde_json::json!({})).unwrap();
    for netuid in [NETUID, 2] {
        s.register_external(netuid, acct(20), None, false).unwrap();
        s.register_external(netuid, acct(10), Some(acct(1)), false)
            .unwrap();
    }
    s.register_external(NETUID, acct(30), Some(acct(3)), false)
        .unwrap();
    s.subnets.get_mut(&NETUID).unwrap().neurons[1].axon = Some(crate::chain::AxonInfo {
        block: LATE,
        ip: "10.0.0.1".parse().unwrap(),
        port: 8091,
        version: 1,
    });
    s.set_stake(NETUID, &acct(10), &acct(1), 2 * TAO);
    s.set_stake(NETUID, &acct(10), &acct(2), 3 * TAO);
    s.account_mut(&acct(2)).free = TAO;
    s
}

#[test]
fn swap_checks_in_heads_order() {
    type Setup = fn(&mut ChainState);
    let none: Setup = |_| {};
    let cases: [(&str, Setup, u8, Call, &str); 8] = [
        (
            "not the owner",
            none,
            2,
            swap(10, 11, Some(NETUID), false),
            "NonAssociatedColdKey",
        ),
        (
            "new key owned by another",
            none,
            1,
            swap(10, 30, Some(NETUID), false),
            "NonAssociatedColdKey",
        ),
        (
            "same key",
            none,
            1,
            swap(10, 10, Some(NETUID), false),
            "NewHotKeyIsSameWithOld",
        ),
        (
            "new key already registered there",
            |s| {
                s.register_external(NETUID, acct(11), Some(acct(1)), false)
                    .unwrap();
            },
            1,
            swap(10, 11, Some(NETUID), false),
            "HotKeyAlreadyRegisteredInSubNet",
        ),
        // Without a netuid the new key must be registered nowhere.
        (
            "new key registered elsewhere",
            |s| {
                s.register_external(2, acct(11), Some(acct(1)), false)
                    .unwrap();
            },
            1,
            swap(10, 11, None, false),
            "HotKeyAlreadyRegisteredInSubNet",
        ),
        // A young chain: one day has not passed since block 0.
        (
            "first swap on a young chain",
            |s| s.head = 7200,
            1,
            swap(10, 11, Some(NETUID), false),
            "HotKeySwapOnSubnetIntervalNotPassed",
        ),
        (
            "cost unaffordable",
            |s| s.account_mut(&acct(1)).free = FEE + 999_999,
            1,
            swap(10, 11, Some(NETUID), false),
            "NotEnoughBalanceToPaySwapHotKey",
        ),
        ("ok", none, 1, swap(10, 11, Some(NETUID), false), "Success"),
    ];
    for (name, setup, coldkey, call, want) in cases {
        let mut s = swappable();
        setup(&mut s);
        let free = s.account(&acct(coldkey)).free;
        let out = s.submit(signed(&s, acct(coldkey), call)).unwrap();
        assert_eq!(out.result.label(), want, "{name}");
        let cost = if want == "Success" { 1_000_000 } else { 0 };
        assert_eq!(s.account(&acct(coldkey)).free, free - FEE - cost, "{name}");
        assert_eq!(
            s.uid_of(NETUID, &acct(10)).is_some(),
            want != "Success",
            "{name}"
        );
    }
}

#[test]
fn a_swap_on_one_subnet_moves_the_uid_and_the_stake_and_keeps_the_owner() {
    let mut s = swappable();
    let query = SnapshotQuery {
        stakes: vec![
            (acct(10), acct(1)),
            (acct(11), acct(1)),
            (acct(11), acct(2)),
        ],
        ..SnapshotQuery::default()
    };
    let before = s.snapshot(NETUID, &query).unwrap();
    let out = s
        .submit(signed(&s, acct(1), swap(10, 11, Some(NETUID), false)))
        .unwrap();
    assert_eq!(out.result, TxResult::Success);
    assert_eq!(out.burned_rao, 0, "a swap is no registration");
    let after = s.snapshot(NETUID, &query).unwrap();
    let (was, now) = (&before.neurons[1], &after.neurons[1]);
    // Same uid, same coldkey, same registration block, axon and figures; only the hotkey.
    assert_eq!((now.uid, now.hotkey, now.coldkey), (1, acct(11), acct(1)));
    assert_eq!(
        (now.registered_at_block, &now.axon, now.stake),
        (was.registered_at_block, &was.axon, 5 * TAO)
    );
    assert!(after.neuron_by_hotkey(&acct(10)).is_none());
    assert_eq!(after.params.subnetwork_n, before.params.subnetwork_n);
    // Every coldkey's stake moved with it.
    let own = |c| after.own_stake(&acct(11), &acct(c)).unwrap();
    assert_eq!((own(1), own(2)), (2 * TAO, 3 * TAO));
    assert_eq!(after.own_stake(&acct(10), &acct(1)), Some(0));
    // One subnet only: the old hotkey keeps its uid on subnet 2 and its owner.
    assert_eq!(s.uid_of(2, &acct(10)), Some(1));
    assert_eq!(s.owners.get(&acct(10)), Some(&acct(1)));
    assert_eq!(s.owners.get(&acct(11)), Some(&acct(1)));
    // A second swap right after: the coldkey's tx rate limit (then the per-subnet day).
    let out = s
        .submit(signed(&s, acct(1), swap(11, 12, Some(NETUID), false)))
        .unwrap();
    assert_eq!(out.result.label(), "HotKeySetTxRateLimitExceeded");
    s.advance(1001);
    let out = s
        .submit(signed(&s, acct(1), swap(11, 12, Some(NETUID), false)))
        .unwrap();
    assert_eq!(out.result.label(), "HotKeySwapOnSubnetIntervalNotPassed");
}

#[test]
fn a_swap_on_all_subnets_retires_the_old_hotkey() {
    let mut s = swappable();
    let free = s.account(&acct(1)).free;
    let out = s
        .submit(signed(&s, acct(1), swap(10, 11, None, false)))
        .unwrap();
    assert_eq!(out.result, TxResult::Success);
    assert_eq!(
        s.account(&acct(1)).free,
        free - FEE - TAO / 10,
        "KeySwapCost"
    );
    assert_eq!(
        (s.uid_of(NETUID, &acct(11)), s.uid_of(2, &acct(11))),
        (Some(1), Some(1))
    );
    assert_eq!(
        (s.uid_of(NETUID, &acct(10)), s.uid_of(2, &acct(10))),
        (None, None)
    );
    assert_eq!(s.owners.get(&acct(10)), None);
}

#[test]
fn keep_stake_leaves_the_alpha_on_the_old_hotkey() {
    let mut s = swappable();
    let out = s
        .submit(signed(&s, acct(1), swap(10, 11, Some(NETUID), true)))
        .unwrap();
    assert_eq!(out.result, TxResult::Success);
    assert_eq!(s.uid_of(NETUID, &acct(11)), Some(1));
    assert_eq!(
        (
            s.total_stake(NETUID, &acct(10)),
            s.total_stake(NETUID, &acct(11))
        ),
        (5 * TAO, 0)
    );
    assert_eq!(s.stake_of(NETUID, &acct(10), &acct(2)), 3 * TAO);
}

#[test]
fn a_dissolved_netuid_refunds_its_stakers_and_comes_back_as_another_subnet() {
    let mut s = swappable();
    let pool = serde_json::json!({"swap_mechanism": 1, "pool_tao": 4000 * TAO, "pool_alpha": 1000 * TAO, "registered_at": 500});
    s.patch_subnet(NETUID, &pool).unwrap();
    let (free1, free2) = (s.account(&acct(1)).free, s.account(&acct(2)).free);
    let refunds = s.dissolve_network(NETUID).unwrap();
    // 4000 TAO shared by alpha value: 2 and 3 alpha of stakers, 1000 in the pool (the
    // protocol's part, recycled); each within the one rao of the largest-remainder rounding.
    let share = |alpha: u64| (4000 * TAO as u128 * alpha as u128 / (1005 * TAO as u128)) as u64;
    let got: Vec<_> = refunds
        .iter()
        .map(|r| (r.hotkey, r.coldkey, r.alpha))
        .collect();
    assert_eq!(
        got,
        vec![(acct(10), acct(1), 2 * TAO), (acct(10), acct(2), 3 * TAO)]
    );
    for r in &refunds {
        assert!(r.tao.abs_diff(share(r.alpha)) <= 1, "{r:?}");
    }
    assert_eq!(s.account(&acct(1)).free, free1 + refunds[0].tao);
    assert_eq!(s.account(&acct(2)).free, free2 + refunds[1].tao);
    // Gone: no snapshot, no uid, no stake; the owners of hotkeys stay (they are global).
    assert!(s.snapshot(NETUID, &SnapshotQuery::default()).is_none());
    assert_eq!(s.uid_of(NETUID, &acct(10)), None);
    assert_eq!(s.total_stake(NETUID, &acct(10)), 0);
    assert_eq!(s.owners.get(&acct(10)), Some(&acct(1)));
    assert_eq!(s.dissolve_network(NETUID), Err("SubnetNotExists".into()));

    // Someone registers a subnet and gets netuid 1 again.
    s.advance(5);
    let cfg = s
        .register_network(
            NETUID,
            acct(7),
            acct(70),
            100 * TAO,
            &serde_json::Value::Null,
        )
        .unwrap();
    assert!(s
        .register_network(NETUID, acct(7), acct(71), TAO, &serde_json::Value::Null)
        .is_err());
    let query = SnapshotQuery {
        stakes: vec![(acct(10), acct(1))],
        ..SnapshotQuery::default()
    };
    let snap = s.snapshot(NETUID, &query).unwrap();
    assert_eq!(snap.params.network_registered_at, LATE + 5);
    assert_eq!(
        (cfg.registered_at, cfg.burn, cfg.subtoken_enabled),
        (LATE + 5, TAO, false)
    );
    let hotkeys: Vec<_> = snap
        .neurons
        .iter()
        .map(|n| (n.uid, n.hotkey, n.coldkey))
        .collect();
    assert_eq!(hotkeys, vec![(0, acct(70), acct(7))]);
    assert_eq!(snap.own_stake(&acct(10), &acct(1)), Some(0));
    let pool = snap.pool.unwrap();
    assert_eq!((pool.tao_in, pool.price_rao), (100 * TAO, TAO));
    // Staking waits for the new owner's start_call.
    let add = Call::AddStake {
        netuid: NETUID,
        hotkey: acct(10),
        amount_staked: TAO / 10,
    };
    let out = s.submit(signed(&s, acct(1), add)).unwrap();
    assert_eq!(out.result, failed("SubtokenDisabled"));
}
