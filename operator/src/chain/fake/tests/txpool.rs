//! Transaction validity (nonce, mortality, fee) and proxy signing.

use super::*;

#[test]
fn pool_rejections_change_nothing() {
    // (name, nonce offset from the account's, birth block, period, signer balance, rejection)
    let cases: [(&str, i64, u64, u64, u64, &str); 6] = [
        ("stale nonce", -1, HEAD, 64, 10 * TAO, "Stale"),
        ("future nonce", 1, HEAD, 64, 10 * TAO, "Future"),
        ("mortal era over", 0, HEAD - 65, 64, 10 * TAO, "BadProof"),
        (
            "birth after head",
            0,
            HEAD + 1,
            64,
            10 * TAO,
            "AncientBirthBlock",
        ),
        ("cannot pay the fee", 0, HEAD, 64, FEE - 1, "Payment"),
        (
            "last block of the era is fine",
            0,
            HEAD - 64,
            64,
            10 * TAO,
            "",
        ),
    ];
    for (name, offset, birth_block, period, balance, reason) in cases {
        let mut s = state();
        s.account_mut(&acct(1)).nonce = 5;
        s.account_mut(&acct(1)).free = balance;
        let before = s.account(&acct(1));
        let sub = Submission {
            signer: acct(1),
            real: None,
            proxy_type: None,
            tx: TxParams {
                nonce: (5 + offset) as u64,
                birth_block,
                period,
            },
            call: register_call(NETUID, acct(10), u64::MAX),
        };
        let out = s.submit(sub);
        if reason.is_empty() {
            assert_eq!(label(&out), "Success", "{name}");
            continue;
        }
        match out {
            Err(ChainError::Rejected(r)) => assert_eq!(r.name, reason, "{name}: {r}"),
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(
            s.account(&acct(1)),
            before,
            "{name}: nonce and balance unchanged"
        );
        assert_eq!(s.uid_of(NETUID, &acct(10)), None, "{name}");
        assert_eq!(s.ledger.len(), 1, "{name}: the refusal is in the ledger");
        assert!(!s.ledger[0].included(), "{name}");
    }
}

#[test]
fn failed_dispatch_still_moves_the_nonce() {
    let mut s = state();
    let sub = signed(&s, acct(1), register_call(9, acct(10), u64::MAX));
    let out = s.submit(sub.clone()).unwrap();
    assert_eq!(out.result, failed("SubnetNotExists"));
    assert_eq!(s.account(&acct(1)).nonce, 1);
    // Resubmitting the same signed extrinsic is now stale.
    assert!(matches!(s.submit(sub), Err(ChainError::Rejected(r)) if r.name == "Stale"));
}

#[test]
fn proxy_signer_pays_the_fee_and_real_pays_the_burn() {
    let (real, proxy) = (acct(1), acct(2));
    // (name, proxy registered, expected result, real's balance change, proxy's balance change)
    let cases: [(&str, bool, TxResult, u64, u64); 2] = [
        ("registered proxy", true, TxResult::Success, TAO, FEE),
        (
            "not a proxy",
            false,
            TxResult::Failed {
                pallet: "Proxy".into(),
                error: "NotProxy".into(),
            },
            0,
            FEE,
        ),
    ];
    for (name, registered, result, real_paid, proxy_paid) in cases {
        let mut s = state();
        s.account_mut(&proxy).free = TAO;
        if registered {
            s.proxies.insert(grant(real, proxy, "Registration"));
        }
        let sub = Submission {
            real: Some(real),
            proxy_type: Some("Registration".into()),
            ..signed(&s, proxy, register_call(NETUID, acct(10), u64::MAX))
        };
        let out = s.submit(sub).unwrap();
        assert_eq!(out.result, result, "{name}");
        assert_eq!(s.account(&real).free, 10 * TAO - real_paid, "{name}: real");
        assert_eq!(s.account(&proxy).free, TAO - proxy_paid, "{name}: proxy");
        assert_eq!(s.account(&proxy).nonce, 1, "{name}: the proxy's nonce");
        assert_eq!(s.account(&real).nonce, 0, "{name}: not the real's");
        let e = &s.ledger[0];
        assert!(e.via_proxy, "{name}");
        assert_eq!((e.signer, e.payer), (proxy, real), "{name}");
        if registered {
            assert_eq!(
                s.owners.get(&acct(10)),
                Some(&real),
                "{name}: owned by real"
            );
        }
    }
}

#[test]
fn a_proxy_type_that_may_not_register_fails_inside_the_proxy() {
    let (real, proxy) = (acct(1), acct(2));
    // (name, granted type, forced type, result): HEAD's filters, `client::proxy::allows`.
    let cases = [
        (
            "Staking forced as Staking",
            "Staking",
            "Staking",
            failed_in("System", "CallFiltered"),
        ),
        (
            "Staking forced as Registration",
            "Staking",
            "Registration",
            failed_in("Proxy", "NotProxy"),
        ),
        ("Any", "Any", "Any", TxResult::Success),
        (
            "NonFungible may register_limit",
            "NonFungible",
            "NonFungible",
            TxResult::Success,
        ),
    ];
    for (name, granted, forced, want) in cases {
        let mut s = state();
        s.account_mut(&proxy).free = TAO;
        s.proxies.insert(grant(real, proxy, granted));
        let sub = Submission {
            real: Some(real),
            proxy_type: Some(forced.into()),
            ..signed(&s, proxy, register_call(NETUID, acct(10), u64::MAX))
        };
        let out = s.submit(sub).unwrap();
        assert_eq!(out.result, want, "{name}");
        let burned = if want == TxResult::Success { TAO } else { 0 };
        assert_eq!(out.burned_rao, burned, "{name}: nothing burned on failure");
        assert_eq!(
            s.account(&proxy).nonce,
            1,
            "{name}: included, the nonce moved"
        );
    }
}

#[test]
fn an_announced_coldkey_swap_refuses_every_spend() {
    use crate::chain::ColdkeySwap;
    let (cold, proxy) = (acct(1), acct(2));
    for disputed in [false, true] {
        let mut s = state();
        let swap = ColdkeySwap {
            executable_at: HEAD + 100,
            disputed,
        };
        s.coldkey_swaps.insert(cold, swap);
        // Signed by the coldkey: refused by the pool (Custom 0 or 21), nothing changes.
        let out = s.submit(signed(&s, cold, register_call(NETUID, acct(10), u64::MAX)));
        let Err(ChainError::Rejected(r)) = out else {
            panic!("{out:?}")
        };
        let want = if disputed {
            (Some(21), "ColdkeySwapDisputed")
        } else {
            (Some(0), "ColdkeyInSwapSchedule")
        };
        assert_eq!((r.code, r.name.as_str()), want);
        assert_eq!(s.account(&cold).nonce, 0);
        // Through a proxy: the inner call fails with the module error.
        s.account_mut(&proxy).free = TAO;
        s.proxies.insert(grant(cold, proxy, "Any"));
        let sub = Submission {
            real: Some(cold),
            proxy_type: Some("Any".into()),
            ..signed(&s, proxy, register_call(NETUID, acct(10), u64::MAX))
        };
        let err = if disputed {
            "ColdkeySwapDisputed"
        } else {
            "ColdkeySwapAnnounced"
        };
        assert_eq!(s.submit(sub).unwrap().result, failed(err));
        assert_eq!(s.uid_of(NETUID, &acct(10)), None);
    }
}

fn grant(real: AccountId, delegate: AccountId, t: &str) -> super::super::ProxyGrant {
    super::super::ProxyGrant {
        real,
        delegate,
        proxy_type: t.into(),
        delay: 0,
    }
}

fn failed_in(pallet: &str, error: &str) -> TxResult {
    TxResult::failed(pallet, error)
}
