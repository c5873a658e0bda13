//! Staking through a dynamic pool (4 TAO per alpha, HEAD's 0.05 % fee): price limits, partial
//! fills and the order of HEAD's checks (`staking/add_stake.rs`, `remove_stake.rs`,
//! `stake_utils.rs:1057-1185`).

use super::*;
// `remove_stake`'s own limit (HEAD `min_price_inner`): a limit that never binds here.
use crate::chain::fake::pool::MIN_PRICE_RAO as MIN;

const PRICE: u64 = 4 * TAO;
/// 1 % above / below the price.
const UP: u64 = PRICE + PRICE / 100;
const DOWN: u64 = PRICE - PRICE / 100;

/// Subnet 1 as a dynamic pool of 4000 TAO / 1000 alpha; coldkey 1 has 100 TAO and owns
/// hotkey 10 (registered); hotkey 11 has no owner.
fn dynamic() -> ChainState {
    let mut s = state();
    let pool =
        serde_json::json!({"swap_mechanism": 1, "pool_tao": 4000 * TAO, "pool_alpha": 1000 * TAO});
    s.patch_subnet(NETUID, &pool).unwrap();
    s.account_mut(&acct(1)).free = 100 * TAO;
    s.register_external(NETUID, acct(10), Some(acct(1)), false)
        .unwrap();
    s
}

fn add(hotkey: u8, amount: u64, limit: Option<(u64, bool)>) -> Call {
    let hotkey = acct(hotkey);
    match limit {
        None => Call::AddStake {
            netuid: NETUID,
            hotkey,
            amount_staked: amount,
        },
        Some((limit_price, allow_partial)) => Call::AddStakeLimit {
            netuid: NETUID,
            hotkey,
            amount_staked: amount,
            limit_price,
            allow_partial,
        },
    }
}

fn remove(amount: u64, limit: (u64, bool)) -> Call {
    Call::RemoveStakeLimit {
        netuid: NETUID,
        hotkey: acct(10),
        amount_unstaked: amount,
        limit_price: limit.0,
        allow_partial: limit.1,
    }
}

fn price(s: &ChainState) -> u64 {
    s.pool(NETUID).unwrap().price_rao
}

#[test]
fn add_stake_checks_in_heads_order() {
    // (name, coldkey 1's free TAO, call, result). The minimum is 0.002 TAO plus the fee on it
    // (1 007 rao at 33/65535).
    let cases: [(&str, u64, Call, &str); 10] = [
        (
            "limit below the price",
            100,
            add(10, 2 * TAO, Some((DOWN, false))),
            "PriceLimitExceeded",
        ),
        (
            "limit at the price",
            100,
            add(10, 2 * TAO, Some((PRICE, true))),
            "PriceLimitExceeded",
        ),
        (
            "below minimum plus fee",
            100,
            add(10, 2_001_006, None),
            "AmountTooLow",
        ),
        ("minimum plus fee", 100, add(10, 2_001_007, None), "Success"),
        (
            "too low before slippage",
            100,
            add(10, 1_000_000, Some((PRICE + 1, false))),
            "AmountTooLow",
        ),
        (
            "fill or kill past the limit",
            100,
            add(10, 100 * TAO, Some((UP, false))),
            "SlippageTooHigh",
        ),
        // The partial amount (about 19.96 TAO) is what must be affordable.
        (
            "partial fill unaffordable",
            10,
            add(10, 100 * TAO, Some((UP, true))),
            "NotEnoughBalanceToStake",
        ),
        (
            "partial fill",
            30,
            add(10, 100 * TAO, Some((UP, true))),
            "Success",
        ),
        // One rao per alpha of room: a partial fill of dust is not a stake.
        (
            "partial fill of dust",
            100,
            add(10, 2 * TAO, Some((PRICE + 1, true))),
            "AmountTooLow",
        ),
        (
            "hotkey without owner",
            100,
            add(11, 2 * TAO, None),
            "HotKeyAccountNotExists",
        ),
    ];
    for (name, free, call, want) in cases {
        let mut s = dynamic();
        s.account_mut(&acct(1)).free = free * TAO;
        let before = price(&s);
        let out = s.submit(signed(&s, acct(1), call)).unwrap();
        assert_eq!(out.result.label(), want, "{name}: {out:?}");
        let spent = free * TAO - FEE - s.account(&acct(1)).free;
        match out.stake {
            Some(m) => {
                assert_eq!(spent, m.tao_rao, "{name}");
                assert_eq!(
                    s.stake_of(NETUID, &acct(10), &acct(1)),
                    m.alpha_rao,
                    "{name}"
                );
                assert!(m.swap_fee_rao > 0 && price(&s) > before, "{name}: {m:?}");
            }
            None => {
                assert_eq!((spent, price(&s)), (0, before), "{name}: nothing moved");
            }
        }
    }
    // The swap pallet's own error, by pallet.
    let mut s = dynamic();
    let out = s
        .submit(signed(&s, acct(1), add(10, TAO, Some((DOWN, false)))))
        .unwrap();
    assert_eq!(out.result, TxResult::failed("Swap", "PriceLimitExceeded"));
    // More than 1000× the TAO reserve is refused before the balance is even looked at.
    let out = s
        .submit(signed(&s, acct(1), add(10, 4_000_001 * TAO, None)))
        .unwrap();
    assert_eq!(out.result, failed("InsufficientLiquidity"));
}

#[test]
fn a_stake_buys_at_the_pool_price_and_a_partial_fill_stops_at_the_limit() {
    let mut s = dynamic();
    let out = s
        .submit(signed(&s, acct(1), add(10, 2 * TAO, None)))
        .unwrap();
    let m = out.stake.unwrap();
    // 2 TAO less the 0.05 % fee buy just under 0.5 alpha at 4 TAO per alpha.
    assert_eq!((m.tao_rao, m.swap_fee_rao), (2 * TAO, 1_007_095));
    assert!((499_000_000..499_750_124).contains(&m.alpha_rao), "{m:?}");
    let pool = s.pool(NETUID).unwrap();
    assert_eq!(pool.tao_in, 4000 * TAO + 2 * TAO - m.swap_fee_rao);
    assert_eq!(pool.alpha_in, 1000 * TAO - m.alpha_rao);
    // A partial fill at 1 % above spends what takes the price to the limit, no more.
    let mut s = dynamic();
    let out = s
        .submit(signed(&s, acct(1), add(10, 100 * TAO, Some((UP, true)))))
        .unwrap();
    let m = out.stake.unwrap();
    assert!((19_900_000_000..20 * TAO).contains(&m.tao_rao), "{m:?}");
    assert!(
        price(&s) <= UP && price(&s) > UP - UP / 10_000,
        "{}",
        price(&s)
    );
}

#[test]
fn remove_stake_checks_in_heads_order() {
    // Coldkey 1 first stakes 40 TAO (about 9.6 alpha after its own slippage).
    let staked = |s: &mut ChainState| {
        s.submit(signed(s, acct(1), add(10, 40 * TAO, None)))
            .unwrap();
        s.stake_of(NETUID, &acct(10), &acct(1))
    };
    let mut s = dynamic();
    let own = staked(&mut s);
    let p = price(&s);
    let cases: [(&str, Call, &str); 6] = [
        (
            "limit above the price",
            remove(TAO, (p + p / 100, false)),
            "PriceLimitExceeded",
        ),
        (
            "more than own",
            remove(own + 1, (p - p / 100, false)),
            "NotEnoughStakeToWithdraw",
        ),
        (
            "dust while stake remains",
            remove(100_000, (MIN, false)),
            "AmountTooLow",
        ),
        (
            "fill or kill past the limit",
            remove(own, (p - p / 100, false)),
            "SlippageTooHigh",
        ),
        (
            "everything is not dust",
            remove(own, (MIN, false)),
            "Success",
        ),
        ("partial fill", remove(own, (p - p / 100, true)), "Success"),
    ];
    for (name, call, want) in cases {
        let mut s = dynamic();
        staked(&mut s);
        let free = s.account(&acct(1)).free;
        let out = s.submit(signed(&s, acct(1), call)).unwrap();
        assert_eq!(out.result.label(), want, "{name}: {out:?}");
        let left = s.stake_of(NETUID, &acct(10), &acct(1));
        match out.stake {
            // The stake gives up what was sold plus the fee (in alpha); the TAO out arrives.
            Some(m) => {
                assert_eq!(own - left, m.alpha_rao + m.swap_fee_rao, "{name}: {m:?}");
                assert_eq!(s.account(&acct(1)).free, free - FEE + m.tao_rao, "{name}");
            }
            None => assert_eq!(left, own, "{name}"),
        }
        if name == "partial fill" {
            // The sale stops at the limit; the block author's alpha fee, sold right after,
            // takes the price a hair further (HEAD `stake_utils.rs:771-790`).
            let limit = p - p / 100;
            let after = price(&s);
            assert!(
                left > 0 && after < limit && after > limit - limit / 10_000,
                "{left} {after}"
            );
        }
    }
}

#[test]
fn a_registration_buys_alpha_with_its_burn() {
    let mut s = dynamic();
    let before = price(&s);
    let out = s
        .submit(signed(
            &s,
            acct(1),
            register_call(NETUID, acct(12), 2 * TAO),
        ))
        .unwrap();
    assert_eq!((out.result, out.burned_rao), (TxResult::Success, TAO));
    // The burn went through the pool (less the swap fee) and its alpha was burned.
    let pool = s.pool(NETUID).unwrap();
    let fee = TAO * 33 / 65_535;
    assert_eq!(pool.tao_in, 4000 * TAO + TAO - fee);
    assert!(pool.alpha_in < 1000 * TAO && price(&s) > before, "{pool:?}");
    assert_eq!(
        s.total_stake(NETUID, &acct(12)),
        0,
        "nobody holds the bought alpha"
    );
}
