//! Own vs delegated alpha: the snapshot's `stake` is the hotkey's total, `own_stake` one
//! coldkey's; emission arrives as HEAD's coinbase pays it (`coinbase/run_coinbase.rs:637-762`).

use super::*;
use crate::chain::fake::admin::DEFAULT_TAKE;
use crate::chain::SnapshotQuery;

fn add(amount: u64) -> Call {
    Call::AddStake {
        netuid: NETUID,
        hotkey: acct(10),
        amount_staked: amount,
    }
}

/// Hotkey 10 of coldkey 1 with 2 TAO of its own stake, and 20 TAO of coldkey 2's on it (a
/// delegator: staking on another coldkey's hotkey needs no permission). Stable subnet: 1:1.
fn delegated() -> ChainState {
    let mut s = state();
    s.account_mut(&acct(2)).free = 30 * TAO;
    s.register_external(NETUID, acct(10), Some(acct(1)), false)
        .unwrap();
    for (coldkey, amount) in [(1, 2 * TAO), (2, 20 * TAO)] {
        let out = s.submit(signed(&s, acct(coldkey), add(amount))).unwrap();
        assert_eq!(out.result, TxResult::Success);
    }
    s
}

/// (hotkey total, coldkey 1's own, coldkey 2's own, coldkey 3's own) as the snapshot reports.
fn figures(s: &ChainState) -> (u64, u64, u64, u64) {
    let query = SnapshotQuery {
        stakes: [1, 2, 3].map(|c| (acct(10), acct(c))).to_vec(),
        ..SnapshotQuery::default()
    };
    let snap = s.snapshot(NETUID, &query).unwrap();
    let own = |c| snap.own_stake(&acct(10), &acct(c)).unwrap();
    (snap.neurons[0].stake, own(1), own(2), own(3))
}

#[test]
fn the_total_counts_delegators_the_own_stake_does_not() {
    let mut s = delegated();
    assert_eq!(figures(&s), (22 * TAO, 2 * TAO, 20 * TAO, 0));
    // The owner's coldkey is the hotkey's owner, whoever staked.
    let snap = s.snapshot(NETUID, &SnapshotQuery::default()).unwrap();
    assert_eq!(snap.neurons[0].coldkey, acct(1));
    // The delegator leaves: only its own alpha goes.
    let out = s
        .submit(signed(
            &s,
            acct(2),
            Call::RemoveStake {
                netuid: NETUID,
                hotkey: acct(10),
                amount_unstaked: 20 * TAO,
            },
        ))
        .unwrap();
    assert_eq!(out.result, TxResult::Success);
    assert_eq!(figures(&s), (2 * TAO, 2 * TAO, 0, 0));
    // The owner cannot sell the delegator's stake.
    s.set_stake(NETUID, &acct(10), &acct(2), 5 * TAO);
    let over = Call::RemoveStakeLimit {
        netuid: NETUID,
        hotkey: acct(10),
        amount_unstaked: 3 * TAO,
        limit_price: 0,
        allow_partial: false,
    };
    let out = s.submit(signed(&s, acct(1), over)).unwrap();
    assert_eq!(out.result, failed("NotEnoughStakeToWithdraw"));
    assert_eq!(figures(&s), (7 * TAO, 2 * TAO, 5 * TAO, 0));
}

#[test]
fn incentive_is_the_owners_and_dividends_are_shared_by_stake() {
    let mut s = delegated();
    // A miner's incentive: all of it to the owner's own stake.
    let e = s.emit(NETUID, &acct(10), TAO, 0, DEFAULT_TAKE).unwrap();
    assert_eq!((e.total, e.owner), (23 * TAO, 3 * TAO));
    assert_eq!(figures(&s), (23 * TAO, 3 * TAO, 20 * TAO, 0));
    // Dividends of 2.3 TAO: the 18 % take is the owner's, the rest pro rata (3 : 20).
    let d = 2_300_000_000u64;
    let take = d * u64::from(DEFAULT_TAKE) / 65_535;
    s.emit(NETUID, &acct(10), 0, d, DEFAULT_TAKE).unwrap();
    let (total, own1, own2, own3) = figures(&s);
    assert_eq!(total, 23 * TAO + d);
    let rest = (d - take) as f64;
    let want1 = 3.0 * TAO as f64
        + take as f64
        + rest * (3.0 + take as f64 / TAO as f64) / (23.0 + take as f64 / TAO as f64);
    let want2 = 20.0 * TAO as f64 + rest * 20.0 / (23.0 + take as f64 / TAO as f64);
    assert!((own1 as f64 - want1).abs() < 2.0, "{own1} vs {want1}");
    assert!((own2 as f64 - want2).abs() < 2.0, "{own2} vs {want2}");
    assert!(
        own1 + own2 <= total && own1 + own2 >= total - 2,
        "rounding only"
    );
    assert_eq!(own3, 0);
    // Emission only reaches registered hotkeys.
    assert!(s.emit(NETUID, &acct(11), TAO, 0, DEFAULT_TAKE).is_err());
}

#[test]
fn a_later_staker_does_not_share_past_emission() {
    let mut s = delegated();
    s.emit(NETUID, &acct(10), 0, 22 * TAO, 0).unwrap();
    // Every share doubled in value; coldkey 3 then buys 4 TAO worth, no more.
    assert_eq!(figures(&s), (44 * TAO, 4 * TAO, 40 * TAO, 0));
    s.account_mut(&acct(3)).free = 10 * TAO;
    s.submit(signed(&s, acct(3), add(4 * TAO))).unwrap();
    assert_eq!(figures(&s), (48 * TAO, 4 * TAO, 40 * TAO, 4 * TAO));
}
