//! Staking and serve_axon rules.

use super::*;

fn add(amount: u64, netuid: u16, hotkey: AccountId) -> Call {
    Call::AddStake {
        netuid,
        hotkey,
        amount_staked: amount,
    }
}

#[test]
fn add_stake_checks() {
    type Setup = fn(&mut ChainState);
    let registered: Setup = |s| {
        s.register_external(NETUID, acct(10), Some(acct(1)), false)
            .unwrap();
    };
    let cases: [(&str, Setup, Call, &str); 6] = [
        (
            "below 0.002 TAO",
            registered,
            add(1_999_999, NETUID, acct(10)),
            "AmountTooLow",
        ),
        (
            "missing subnet",
            registered,
            add(TAO, 9, acct(10)),
            "SubnetNotExists",
        ),
        (
            "before start_call",
            |s| {
                s.patch_subnet(NETUID, &serde_json::json!({"subtoken_enabled": false}))
                    .unwrap();
            },
            add(TAO, NETUID, acct(10)),
            "SubtokenDisabled",
        ),
        (
            "hotkey without owner",
            |_| {},
            add(TAO, NETUID, acct(10)),
            "HotKeyAccountNotExists",
        ),
        (
            "balance too low",
            registered,
            add(10 * TAO, NETUID, acct(10)),
            "NotEnoughBalanceToStake",
        ),
        (
            "ok at the minimum",
            registered,
            add(2_000_000, NETUID, acct(10)),
            "Success",
        ),
    ];
    for (name, setup, call, expect) in cases {
        let mut s = state();
        setup(&mut s);
        let free = s.account(&acct(1)).free;
        let out = s.submit(signed(&s, acct(1), call.clone())).unwrap();
        assert_eq!(out.result.label(), expect, "{name}");
        let staked = if expect == "Success" { 2_000_000 } else { 0 };
        assert_eq!(s.account(&acct(1)).free, free - FEE - staked, "{name}");
        assert_eq!(s.total_stake(NETUID, &acct(10)), staked, "{name}");
    }
}

#[test]
fn remove_stake_sells_at_most_the_own_stake_and_returns_it() {
    let mut s = state();
    s.register_external(NETUID, acct(10), Some(acct(1)), false)
        .unwrap();
    s.submit(signed(&s, acct(1), add(TAO, NETUID, acct(10))))
        .unwrap();
    let remove = |amount| Call::RemoveStake {
        netuid: NETUID,
        hotkey: acct(10),
        amount_unstaked: amount,
    };
    let free = s.account(&acct(1)).free;
    let out = s.submit(signed(&s, acct(1), remove(TAO / 2))).unwrap();
    assert_eq!(out.result, TxResult::Success);
    assert_eq!(s.account(&acct(1)).free, free - FEE + TAO / 2);
    assert_eq!(
        s.snapshot(NETUID, &Default::default()).unwrap().neurons[0].stake,
        TAO / 2
    );
    // More than it has: `remove_stake` caps the amount at the coldkey's own alpha (HEAD
    // `staking/remove_stake.rs:51-58`) and sells all of it.
    let out = s.submit(signed(&s, acct(1), remove(TAO))).unwrap();
    assert_eq!(out.result, TxResult::Success);
    assert_eq!(out.stake.map(|m| m.alpha_rao), Some(TAO / 2));
    assert_eq!(s.total_stake(NETUID, &acct(10)), 0);
    // Nothing left: the capped amount is 0.
    let out = s.submit(signed(&s, acct(1), remove(1))).unwrap();
    assert_eq!(out.result, failed("AmountTooLow"));
}

fn serve(ip: &str, port: u16, ip_type: Option<u8>) -> Call {
    let (ip, derived) = ip_to_u128(ip.parse().unwrap());
    Call::ServeAxon {
        netuid: NETUID,
        version: 7,
        ip,
        port,
        ip_type: ip_type.unwrap_or(derived),
        protocol: 4,
    }
}

#[test]
fn serve_axon_pool_checks_and_rate_limit() {
    // (name, blocks advanced before, call, expected Ok label or rejection text), in HEAD's
    // order (`subnets/serving.rs:289-339`): registered, ip type, ip, rate limit, port. The head
    // moves one block after each case: port 0 at 1000, first serve at 1001, refusals at
    // 1002..1004, 1049 (48 blocks after the first serve), then exactly 50 blocks after it.
    let cases: [(&str, u64, Call, &str); 11] = [
        ("port 0", 0, serve("10.1.2.3", 0, None), "Custom(13)"),
        ("first serve", 0, serve("10.1.2.3", 8091, None), "Success"),
        (
            "bad ip type",
            0,
            serve("10.1.2.3", 8091, Some(5)),
            "BadRequest (Custom(255))",
        ),
        (
            "127.0.0.1",
            0,
            serve("127.0.0.1", 8091, None),
            "InvalidIpAddress (Custom(11))",
        ),
        (
            "all ones",
            0,
            serve("255.255.255.255", 8091, None),
            "Custom(11)",
        ),
        (
            "again 48 blocks later",
            44,
            serve("10.1.2.4", 8091, None),
            "ServingRateLimitExceeded (Custom(12))",
        ),
        (
            "again 50 blocks later",
            1,
            serve("10.1.2.4", 8092, None),
            "Success",
        ),
        ("ipv6 loopback", 60, serve("::1", 8091, None), "Custom(11)"),
        ("ipv6", 0, serve("2001:db8::1", 8091, None), "Success"),
        // Other loopback addresses and 0 ("for testing") are the chain's to accept.
        ("127.0.0.2", 60, serve("127.0.0.2", 8091, None), "Success"),
        ("unspecified", 60, serve("0.0.0.0", 8091, None), "Success"),
    ];
    let mut s = state();
    let hotkey = acct(10);
    s.register_external(NETUID, hotkey, Some(acct(1)), false)
        .unwrap();
    // The hotkey pays nothing: serve_axon is fee-free.
    for (name, advance, call, expect) in cases {
        s.advance(advance);
        let nonce = s.account(&hotkey).nonce;
        match s.submit(signed(&s, hotkey, call)) {
            Ok(out) => {
                assert_eq!(out.result.label(), expect, "{name}");
                assert_eq!(out.fee_rao, 0, "{name}");
                assert_eq!(s.account(&hotkey).nonce, nonce + 1, "{name}");
                let axon = s.snapshot(NETUID, &Default::default()).unwrap().neurons[0]
                    .axon
                    .clone()
                    .unwrap();
                assert_eq!((axon.block, axon.version), (s.head, 7), "{name}");
            }
            Err(ChainError::Rejected(reason)) => {
                assert!(reason.to_string().contains(expect), "{name}: {reason}");
                assert_eq!(s.account(&hotkey).nonce, nonce, "{name}: not included");
            }
            Err(e) => panic!("{name}: {e}"),
        }
        s.advance(1);
    }
}

#[test]
fn serve_axon_of_an_unregistered_hotkey_is_rejected() {
    let mut s = state();
    let sub = signed(&s, acct(10), serve("10.1.2.3", 8091, None));
    let Err(ChainError::Rejected(r)) = s.submit(sub) else {
        panic!("not rejected")
    };
    assert_eq!(
        (r.code, r.name.as_str()),
        (Some(10), "HotKeyNotRegisteredInNetwork")
    );
    assert!(!s.ledger[0].included());
}
