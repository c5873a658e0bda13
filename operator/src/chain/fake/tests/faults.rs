//! The in-process `FakeChain` through the `Chain` trait: faults, counters, old-runtime fallback.

use super::*;
use crate::chain::{Chain, PriceLimit, RegisterRequest, Signer, StakeRequest};

/// A chain where coldkey keypair(1) is funded, and its register request for hotkey acct(10).
fn setup() -> (FakeChain, Signer) {
    let cold = keypair(1);
    let mut g = genesis();
    g.balances.insert(id_of(&cold), 10 * TAO);
    (FakeChain::new(g), Signer::Key(cold))
}

fn request(signer: &Signer, nonce: u64, limit: u64) -> RegisterRequest<'_> {
    RegisterRequest {
        netuid: NETUID,
        hotkey: acct(10),
        limit_rao: limit,
        signer,
        tx: tx(nonce),
    }
}

#[tokio::test]
async fn faults_that_stop_the_request_apply_nothing() {
    let cases = [
        (Fault::Timeout, ChainError::Timeout(INJECTED_TIMEOUT)),
        (
            Fault::Disconnect,
            ChainError::Unreachable("injected disconnect".into()),
        ),
    ];
    for (fault, expect) in cases {
        let (chain, signer) = setup();
        chain
            .with_faults(|f| f.inject(Method::Register, fault, 1))
            .unwrap();
        let err = chain.register(&request(&signer, 0, TAO)).await.unwrap_err();
        assert_eq!(err, expect, "{fault:?}");
        assert!(err.maybe_included(), "{fault:?}: caller must re-read");
        assert_eq!(chain.uid_of(NETUID, &acct(10)).await.unwrap(), None);
        assert_eq!(chain.account_nonce(&signer.payer()).await.unwrap(), 0);
        assert!(chain.ledger().is_empty(), "{fault:?}");
        // The fault was for one call only.
        let out = chain.register(&request(&signer, 0, TAO)).await.unwrap();
        assert_eq!(out.result, TxResult::Success, "{fault:?}");
    }
}

#[tokio::test]
async fn included_result_lost_applies_exactly_once() {
    let (chain, signer) = setup();
    chain
        .with_faults(|f| f.inject(Method::Register, Fault::IncludedResultLost, 1))
        .unwrap();
    let err = chain.register(&request(&signer, 0, TAO)).await.unwrap_err();
    let ChainError::OutcomeUnknown { tx_hash, .. } = &err else {
        panic!("{err:?}");
    };
    // The re-read shows it registered, with the nonce consumed and exactly one burn.
    assert_eq!(chain.uid_of(NETUID, &acct(10)).await.unwrap(), Some(0));
    assert_eq!(chain.account_nonce(&signer.payer()).await.unwrap(), 1);
    let free = chain.free_balance(&signer.payer()).await.unwrap();
    assert_eq!(free, 10 * TAO - TAO - FEE);
    let ledger = chain.ledger();
    assert_eq!(ledger.len(), 1);
    assert!(ledger[0].succeeded() && ledger[0].result_lost);
    assert_eq!(&ledger[0].tx_hash, tx_hash);
    // A blind resubmission with the old nonce cannot burn again.
    let retry = chain.register(&request(&signer, 0, TAO)).await;
    assert!(matches!(retry, Err(ChainError::Rejected(ref r)) if r.name == "Stale"));
    let burns = chain.ledger().iter().filter(|e| e.burned_rao > 0).count();
    assert_eq!(burns, 1);
}

#[tokio::test]
async fn unreachable_switch_and_read_counters() {
    let (chain, _) = setup();
    chain.head().await.unwrap();
    chain.snapshot(NETUID, &Default::default()).await.unwrap();
    chain.snapshot(NETUID, &Default::default()).await.unwrap();
    assert_eq!(
        chain.snapshot(3, &Default::default()).await,
        Err(ChainError::SubnetNotFound(3))
    );
    chain.with_faults(|f| f.unreachable = true);
    assert!(matches!(
        chain.uid_of(NETUID, &acct(10)).await,
        Err(ChainError::Unreachable(_))
    ));
    chain.with_faults(|f| f.unreachable = false);
    assert_eq!(chain.head().await.unwrap(), HEAD);
    let calls = chain.calls();
    assert_eq!(calls.get(&Method::Head), Some(&2));
    assert_eq!(calls.get(&Method::Snapshot), Some(&3));
    assert_eq!(calls.get(&Method::UidOf), Some(&1));
    assert_eq!(calls.get(&Method::Register), None);
}

#[test]
fn included_result_lost_is_refused_for_reads() {
    let chain = FakeChain::default();
    let r = chain.with_faults(|f| f.inject(Method::Snapshot, Fault::IncludedResultLost, 1));
    assert!(r.is_err());
}

#[tokio::test]
async fn a_front_run_moves_the_price_before_one_add_stake() {
    let (chain, signer) = setup();
    let pool =
        serde_json::json!({"swap_mechanism": 1, "pool_tao": 4000 * TAO, "pool_alpha": 1000 * TAO});
    chain.with_state(|s| {
        s.patch_subnet(NETUID, &pool).unwrap();
        s.register_external(NETUID, acct(10), Some(signer.payer()), false)
            .unwrap();
    });
    let price = || chain.with_state(|s| s.pool(NETUID).unwrap().price_rao);
    assert!(chain
        .with_faults(|f| f.inject(Method::RemoveStake, Fault::FrontRun, 1))
        .is_err());
    chain
        .with_faults(|f| f.inject(Method::AddStake, Fault::FrontRun, 1))
        .unwrap();
    let before = price();
    let stake = |nonce| StakeRequest {
        netuid: NETUID,
        hotkey: acct(10),
        amount_rao: TAO,
        limit: Some(PriceLimit {
            limit_price_rao: before + before / 100,
            allow_partial: false,
        }),
        signer: &signer,
        tx: tx(nonce),
    };
    let free = chain.free_balance(&signer.payer()).await.unwrap();
    let out = chain.add_stake(&stake(0)).await.unwrap();
    assert_eq!(out.result, TxResult::failed("Swap", "PriceLimitExceeded"));
    // 4000 → 4400 TAO for 1000 → 909.09 alpha: ×1.21
    assert_eq!(price() / 1_000_000, before * 121 / 100 / 1_000_000);
    let paid = free - chain.free_balance(&signer.payer()).await.unwrap();
    assert!(paid < TAO / 1000, "only the fee: {paid}");
    // One call only: priced again, the next is within its limit.
    let again = price();
    let ok = StakeRequest {
        limit: Some(PriceLimit {
            limit_price_rao: again + again / 100,
            allow_partial: false,
        }),
        ..stake(1)
    };
    assert_eq!(
        chain.add_stake(&ok).await.unwrap().result,
        TxResult::Success
    );
}

#[tokio::test]
async fn old_runtime_refuses_above_limit_before_signing() {
    // (limit, expected result)
    let cases = [
        (
            TAO - 1,
            Err(ChainError::BurnAboveLimit {
                burn: TAO,
                limit: TAO - 1,
            }),
        ),
        (TAO, Ok("burned_register")),
    ];
    for (limit, expect) in cases {
        let (chain, signer) = setup();
        chain.with_state(|s| s.runtime.has_register_limit = false);
        let out = chain.register(&request(&signer, 0, limit)).await;
        match expect {
            Err(e) => {
                assert_eq!(out, Err(e));
                assert!(chain.ledger().is_empty(), "nothing submitted");
                assert_eq!(chain.account_nonce(&signer.payer()).await.unwrap(), 0);
            }
            Ok(method) => {
                assert_eq!(out.unwrap().burned_rao, TAO);
                assert_eq!(chain.ledger()[0].method, method);
            }
        }
    }
}

#[tokio::test]
async fn serve_axon_is_signed_by_the_hotkey() {
    let (chain, _) = setup();
    let hotkey = keypair(3);
    chain.with_state(|s| {
        s.register_external(NETUID, id_of(&hotkey), None, false)
            .unwrap()
    });
    let req = crate::chain::ServeAxonRequest {
        netuid: NETUID,
        hotkey: &hotkey,
        ip: "10.0.0.9".parse().unwrap(),
        port: 8091,
        version: 1,
        tx: tx(0),
    };
    let out = chain.serve_axon(&req).await.unwrap();
    assert_eq!((out.result, out.fee_rao), (TxResult::Success, 0));
    assert_eq!(chain.account_nonce(&id_of(&hotkey)).await.unwrap(), 1);
    let snap = chain.snapshot(NETUID, &Default::default()).await.unwrap();
    let axon = snap.neuron_by_hotkey(&id_of(&hotkey)).unwrap().axon.clone();
    assert_eq!(
        axon.map(|a| (a.ip.to_string(), a.port)),
        Some(("10.0.0.9".into(), 8091))
    );
}

#[test]
fn wire_args_carry_only_public_keys() {
    let proxy = keypair(4);
    let secret_hex = hex::encode([4u8; 32]);
    let signer = Signer::Proxy {
        proxy: proxy.clone(),
        real: acct(1),
    };
    let args = RegisterArgs::from(&request(&signer, 0, TAO));
    let json = serde_json::to_string(&args).unwrap();
    assert!(!json.contains(&secret_hex), "{json}");
    assert_eq!(args.signer.signer, id_of(&proxy));
    assert_eq!(args.signer.real, Some(acct(1)));
    let back: RegisterArgs = serde_json::from_str(&json).unwrap();
    assert_eq!(back, args);
}
