//! Resolving intents from the chain alone, against the in-process fake chain (which keeps every
//! included extrinsic by signer and nonce, as blocks do).

use super::*;
use crate::api::{ResolvedBy, SpendSpec};
use crate::chain::fake::{Call, FakeChain, Genesis, Submission, TAO};
use crate::chain::TxParams;

const NETUID: u16 = 21;

fn chain() -> (FakeChain, AccountId) {
    let cold = AccountId([1; 32]);
    let g: Genesis = serde_json::from_value(serde_json::json!({
        "head": 1000,
        "subnets": {"21": {"burn": TAO / 10}},
        "balances": {cold.ss58(): 10 * TAO},
    }))
    .unwrap();
    (FakeChain::new(g), cold)
}

fn intent(cold: AccountId, nonce: u64, birth: u64) -> Spend {
    let mut s = Spend::new(
        "register-x",
        SpendSpec {
            subnet: "sn".into(),
            netuid: NETUID,
            neuron: "miner-0".into(),
            neuron_uid: None,
            neuron_set: None,
            call: SpendCall::Register,
            hotkey: AccountId([9; 32]).ss58(),
            coldkey: cold.ss58(),
            signer: cold.ss58(),
            limit_rao: TAO,
            amount_rao: 0,
            limit_price_rao: None,
            nonce,
            birth_block: birth,
            mortal_until_block: birth + 64,
            at: "2026-11-22T12:00:00Z".into(),
            subnet_registered_at: None,
        },
    );
    s.metadata.namespace = Some("ns".into());
    s
}

fn submit(chain: &FakeChain, cold: AccountId, nonce: u64, call: Call) {
    chain.with_state(|s| {
        s.submit(Submission {
            signer: cold,
            real: None,
            proxy_type: None,
            tx: TxParams {
                nonce,
                birth_block: s.head,
                period: 64,
            },
            call,
        })
        .unwrap();
    });
}

fn register(hotkey: u8) -> Call {
    Call::RegisterLimit {
        netuid: NETUID,
        hotkey: AccountId([hotkey; 32]),
        limit_price: TAO,
    }
}

#[tokio::test]
async fn an_intent_is_resolved_from_the_chain_alone() {
    // Not sent (a crash between record and submit): pending within its window, then expired.
    let (c, cold) = chain();
    let s = intent(cold, 0, 1000);
    assert_eq!(probe(&c, &s).await.unwrap(), None, "may still be included");
    c.advance(65);
    assert_eq!(
        probe(&c, &s).await.unwrap(),
        None,
        "just past the window: the nonce may have been read from an endpoint a few blocks behind"
    );
    c.advance(8);
    let st = probe(&c, &s).await.unwrap().unwrap();
    assert_eq!((st.result.as_deref(), st.paid_rao), (Some("Expired"), 0));

    // Sent and included, its answer lost: the block scan finds it, with the burn it paid.
    let (c, cold) = chain();
    let s = intent(cold, 0, 1000);
    submit(&c, cold, 0, register(9));
    let st = probe(&c, &s).await.unwrap().unwrap();
    assert_eq!(st.result.as_deref(), Some("Success"));
    assert_eq!(
        (st.paid_rao, st.resolved_by),
        (TAO / 10, Some(ResolvedBy::ChainScan))
    );
    assert_eq!(st.block, Some(1000));

    // Included and failed at dispatch: a failure that paid no burn.
    let (c, cold) = chain();
    c.with_state(|s| s.register_external(NETUID, AccountId([9; 32]), Some(cold), false))
        .unwrap();
    let s = intent(cold, 0, 1000);
    submit(&c, cold, 0, register(9));
    let st = probe(&c, &s).await.unwrap().unwrap();
    assert_eq!(
        (st.result.as_deref(), st.paid_rao),
        (Some("HotKeyAlreadyRegisteredInSubNet"), 0)
    );

    // Another extrinsic used the nonce: ours can never be included.
    let (c, cold) = chain();
    let s = intent(cold, 0, 1000);
    submit(
        &c,
        cold,
        0,
        Call::AddStake {
            netuid: NETUID,
            hotkey: AccountId([9; 32]),
            amount_staked: TAO,
        },
    );
    let st = probe(&c, &s).await.unwrap().unwrap();
    assert_eq!(
        (st.result.as_deref(), st.paid_rao),
        (Some("NonceUsedElsewhere"), 0)
    );
}

#[test]
fn statuses_of_included_and_refused_spends() {
    let s = intent(AccountId([1; 32]), 0, 1000);
    let ok = crate::chain::TxOutcome {
        block: 1001,
        tx_hash: "0xab".into(),
        fee_rao: 5,
        burned_rao: 7,
        stake: None,
        amounts_known: true,
        result: crate::chain::TxResult::Success,
    };
    let st = included(&s, &ok, ResolvedBy::Inclusion);
    assert_eq!(
        (st.paid_rao, st.paid_tao.as_deref(), st.fee_rao),
        (7, Some("0.000000007"), 5)
    );
    // Events without the amount: the limit is recorded, an upper bound.
    let unknown = crate::chain::TxOutcome {
        amounts_known: false,
        ..ok.clone()
    };
    let st = included(&s, &unknown, ResolvedBy::Inclusion);
    assert_eq!(
        (st.result.as_deref(), st.paid_rao, st.amount_unknown),
        (Some("SuccessAmountUnknown"), TAO, true)
    );
    let st = not_included("Expired", 1070, ResolvedBy::ChainScan);
    assert_eq!((st.paid_rao, st.block), (0, Some(1070)));
    let hk = AccountId([9; 32]);
    let found = |call: &str, hotkey: Option<AccountId>, netuid: Option<u16>| FoundTx {
        call: call.into(),
        hotkey,
        netuid,
        outcome: ok.clone(),
    };
    let mut add = s.clone();
    add.spec.call = SpendCall::AddStake;
    // (spend, found, ours)
    let cases = [
        (
            &s,
            found("SubtensorModule.burned_register", Some(hk), Some(NETUID)),
            true,
        ),
        (
            &s,
            found("SubtensorModule.register_limit", None, None),
            true,
        ),
        (
            &add,
            found("SubtensorModule.add_stake_limit", Some(hk), Some(NETUID)),
            true,
        ),
        (
            &s,
            found("SubtensorModule.add_stake", Some(hk), Some(NETUID)),
            false,
        ),
        (&s, found("Balances.transfer_keep_alive", None, None), false),
        // the same account registered another hotkey, or on another subnet, with that nonce
        (
            &s,
            found(
                "SubtensorModule.burned_register",
                Some(AccountId([8; 32])),
                Some(NETUID),
            ),
            false,
        ),
        (
            &s,
            found(
                "SubtensorModule.burned_register",
                Some(hk),
                Some(NETUID + 1),
            ),
            false,
        ),
    ];
    for (spend, f, want) in cases {
        assert_eq!(is_ours(spend, &f), want, "{f:?}");
    }
}
