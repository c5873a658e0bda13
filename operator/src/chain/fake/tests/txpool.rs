//! Transaction validity (nonce, mortality, fee) and proxy signing.

use super::*;

#[test]
fn pool_rejections_change_nothing() {
    // (name, nonce offset from the account's, birth block, period, signer balance, reason prefix)
    let cases: [(&str, i64, u64, u64, u64, &str); 6] = [
        (
            "stale nonce",
            -1,
            HEAD,
            64,
            10 * TAO,
            "InvalidTransaction::Stale",
        ),
        (
            "future nonce",
            1,
            HEAD,
            64,
            10 * TAO,
            "InvalidTransaction::Future",
        ),
        (
            "mortal era over",
            0,
            HEAD - 65,
            64,
            10 * TAO,
            "InvalidTransaction::BadProof",
        ),
        (
            "birth after head",
            0,
            HEAD + 1,
            64,
            10 * TAO,
            "InvalidTransaction::AncientBirthBlock",
        ),
        (
            "cannot pay the fee",
            0,
            HEAD,
            64,
            FEE - 1,
            "InvalidTransaction::Payment",
        ),
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
            Err(ChainError::Rejected(r)) => assert!(r.starts_with(reason), "{name}: {r}"),
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
    assert!(matches!(s.submit(sub), Err(ChainError::Rejected(r)) if r.contains("Stale")));
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
            s.proxies.insert((real, proxy));
        }
        let sub = Submission {
            real: Some(real),
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
