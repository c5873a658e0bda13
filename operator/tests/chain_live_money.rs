//! Live tests of what the operator's money decisions rely on (issue 13), against a real
//! runtime (the spec-218 devnet in chopsticks): the pool price read from the reserves and what
//! a stake buys at it, own vs delegated alpha, a hotkey swap, `NetworkRegisteredAt`. Same
//! environment and skipping as `chain_live.rs`; run with `--test-threads=1`. The pool and
//! `NetworkRegisteredAt` cases shape the chain with chopsticks' `dev_setStorage` (skipped on
//! other nodes) and put the values back afterwards.
//!
//! Netuid reuse itself cannot happen on spec 218: its `dissolve_network` does nothing and its
//! `register_network` never prunes (S218 `macros/dispatches.rs:1095-1102`,
//! `subnets/subnet.rs:123-200` at 3484560482); it is proven on the fake chain.

mod live;

use futures::FutureExt;

use tensorfleet::chain::client::calls;
use tensorfleet::chain::{
    Chain, ChainError, PriceLimit, Signer, SnapshotQuery, StakeRequest, TxResult, RAO_PER_TAO,
};

use live::*;

const TAO: u64 = RAO_PER_TAO;

/// Runs `body` with the subnet's pool set to `tao` / `alpha`, then puts back the reserves it
/// found, whether `body` passed or not.
async fn with_pool<F: std::future::Future<Output = ()>>(l: &Live, tao: u64, alpha: u64, body: F) {
    let snap = l.chain.snapshot(l.netuid, &SnapshotQuery::default()).await;
    let was = snap.unwrap().pool.expect("a dynamic subnet has a pool");
    set_subnet_u64(l, "SubnetTAO", tao).await;
    set_subnet_u64(l, "SubnetAlphaIn", alpha).await;
    let outcome = std::panic::AssertUnwindSafe(body).catch_unwind().await;
    set_subnet_u64(l, "SubnetTAO", was.tao_in).await;
    set_subnet_u64(l, "SubnetAlphaIn", was.alpha_in).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[tokio::test]
async fn live_at_4_tao_per_alpha_2_tao_buy_half_an_alpha() {
    let test = "live_at_4_tao_per_alpha_2_tao_buy_half_an_alpha";
    let Some(l) = live(test) else {
        return;
    };
    if !can_set_storage(&l, test).await {
        return;
    }
    let (hot, _) = registered_hotkey(&l).await;
    let (hotkey, signer) = (id(&hot), Signer::Key(l.coldkey.clone()));
    let coldkey = signer.payer();
    with_pool(&l, 4000 * TAO, 1000 * TAO, async {
        let query = SnapshotQuery {
            stakes: vec![(hotkey, coldkey)],
            ..SnapshotQuery::default()
        };
        let snap = l.chain.snapshot(l.netuid, &query).await.unwrap();
        let pool = snap.pool.unwrap();
        assert_eq!(pool.price_rao, 4 * TAO, "{pool:?}");
        assert_eq!(snap.own_stake(&hotkey, &coldkey), Some(0));

        // A limit below the price: refused before signing (spec 218 has no add_stake_limit).
        let mut req = StakeRequest {
            netuid: l.netuid,
            hotkey,
            amount_rao: 2 * TAO,
            limit: Some(PriceLimit {
                limit_price_rao: pool.price_rao - pool.price_rao / 100,
                allow_partial: false,
            }),
            signer: &signer,
            tx: tx(&l.chain, &coldkey).await,
        };
        let nonce = req.tx.nonce;
        match l.chain.add_stake(&req).await {
            Err(ChainError::PriceBeyondLimit { price, .. }) => assert_eq!(price, 4 * TAO),
            other => panic!("{other:?}"),
        }
        assert_eq!(l.chain.account_nonce(&coldkey).await.unwrap(), nonce);

        // 1 % above: 2 TAO buy just under half an alpha (constant product, no fee on 218).
        req.limit = Some(PriceLimit {
            limit_price_rao: pool.price_rao + pool.price_rao / 100,
            allow_partial: false,
        });
        let o = l.chain.add_stake(&req).await.unwrap();
        assert_eq!(o.result, TxResult::Success, "{o:?}");
        let m = o.stake.expect("StakeAdded");
        assert_eq!(m.tao_rao, 2 * TAO, "{m:?}");
        assert!((499_000_000..=500_000_000).contains(&m.alpha_rao), "{m:?}");
        let snap = l.chain.snapshot(l.netuid, &query).await.unwrap();
        let own = snap.own_stake(&hotkey, &coldkey).unwrap();
        let total = snap.neuron_by_hotkey(&hotkey).unwrap().stake;
        // Read back: what was bought (emission since may add a little), all of it ours.
        assert!(own >= m.alpha_rao - 1 && own < m.alpha_rao + m.alpha_rao / 100, "{own} {m:?}");
        assert!(total >= own, "{total} {own}");
        let after = snap.pool.unwrap();
        assert!(after.price_rao > pool.price_rao, "{after:?}");
        println!(
            "hotkey {hotkey}: price {} rao/alpha; 2 TAO bought {} alpha-rao; own {own}, total {total}; price after {}",
            pool.price_rao, m.alpha_rao, after.price_rao
        );
    })
    .await;
    let back = l.chain.snapshot(l.netuid, &SnapshotQuery::default()).await;
    println!("pool restored: {:?}", back.unwrap().pool);
}

#[tokio::test]
async fn live_a_delegators_stake_counts_in_the_total_not_in_our_own() {
    let Some(l) = live("live_a_delegators_stake_counts_in_the_total_not_in_our_own") else {
        return;
    };
    let (hot, _) = registered_hotkey(&l).await;
    let (hotkey, ours) = (id(&hot), Signer::Key(l.coldkey.clone()));
    let mine = stake(&l, &ours, hotkey, TAO).await.stake.unwrap();
    let delegator_key = fresh_key();
    let delegator = id(&delegator_key);
    fund(&l, &delegator, 30 * TAO).await;
    let query = SnapshotQuery {
        stakes: vec![(hotkey, ours.payer()), (hotkey, delegator)],
        ..SnapshotQuery::default()
    };
    let before = l.chain.snapshot(l.netuid, &query).await.unwrap();
    let own_before = before.own_stake(&hotkey, &ours.payer()).unwrap();
    let total_before = before.neuron_by_hotkey(&hotkey).unwrap().stake;

    // Anyone may stake on our hotkey; the owner coldkey stays ours.
    let theirs = Signer::Key(delegator_key);
    let d = stake(&l, &theirs, hotkey, 20 * TAO).await.stake.unwrap();
    let after = l.chain.snapshot(l.netuid, &query).await.unwrap();
    let n = after.neuron_by_hotkey(&hotkey).unwrap();
    let own = after.own_stake(&hotkey, &ours.payer()).unwrap();
    let delegated = after.own_stake(&hotkey, &delegator).unwrap();
    assert_eq!(n.coldkey, ours.payer());
    // Ours moved at most by emission (pro rata, small), never by the delegator's ~20x.
    assert!(
        own >= own_before && own < own_before + own_before / 10,
        "{own} {own_before}"
    );
    // Shares are integers on spec 218: a holder's value rounds down by a few rao.
    let dust = |x: u64| x / 1_000_000 + 2;
    let lost = d.alpha_rao.saturating_sub(delegated);
    assert!(
        lost <= dust(d.alpha_rao) && delegated < d.alpha_rao + d.alpha_rao / 100,
        "{delegated} {d:?}"
    );
    assert!(
        n.stake >= total_before + d.alpha_rao,
        "{} {total_before} {d:?}",
        n.stake
    );
    assert!(
        n.stake >= own + delegated && n.stake - (own + delegated) <= dust(n.stake),
        "{n:?}"
    );
    println!(
        "hotkey {hotkey}: own {own_before} -> {own} (we bought {}); delegator {delegator} bought {} -> own {delegated}; total {total_before} -> {}",
        mine.alpha_rao, d.alpha_rao, n.stake
    );
}

#[tokio::test]
async fn live_a_hotkey_swap_keeps_the_uid_and_the_owner() {
    let Some(l) = live("live_a_hotkey_swap_keeps_the_uid_and_the_owner") else {
        return;
    };
    let (hot, uid) = registered_hotkey(&l).await;
    let (old, ours) = (id(&hot), Signer::Key(l.coldkey.clone()));
    let bought = stake(&l, &ours, old, TAO / 10).await.stake.unwrap();
    let new = id(&fresh_key());
    let query = SnapshotQuery {
        stakes: vec![(old, ours.payer()), (new, ours.payer())],
        ..SnapshotQuery::default()
    };
    let before = l.chain.snapshot(l.netuid, &query).await.unwrap();
    let was = before.neuron_by_hotkey(&old).unwrap().clone();

    let md = online(&l)
        .await
        .at_current_block()
        .await
        .unwrap()
        .metadata();
    let call = calls::swap_hotkey(&md, &old, &new, None).unwrap();
    assert_eq!(
        call.fields.len(),
        2,
        "spec 218: swap_hotkey(hotkey, new_hotkey)"
    );
    let free = l.chain.free_balance(&ours.payer()).await.unwrap();
    let o = setup_call(&l, call).await;
    let cost = free - l.chain.free_balance(&ours.payer()).await.unwrap() - o.fee_rao;

    let after = l.chain.snapshot(l.netuid, &query).await.unwrap();
    let n = after
        .neuron_by_hotkey(&new)
        .expect("the new hotkey is registered");
    // Same uid, same owner, same registration block: a swap, not a new registration.
    assert_eq!((n.uid, n.coldkey), (uid, ours.payer()));
    assert_eq!(n.registered_at_block, was.registered_at_block);
    assert!(after.neuron_by_hotkey(&old).is_none());
    assert_eq!(l.chain.uid_of(l.netuid, &old).await.unwrap(), None);
    assert_eq!(l.chain.uid_of(l.netuid, &new).await.unwrap(), Some(uid));
    assert_eq!(after.params.subnetwork_n, before.params.subnetwork_n);
    // The stake went with it.
    let own = after.own_stake(&new, &ours.payer()).unwrap();
    assert!(own >= bought.alpha_rao - 1, "{own} {bought:?}");
    assert_eq!(after.own_stake(&old, &ours.payer()), Some(0));
    println!(
        "uid {uid}: {old} -> {new}, owner {}, registered at {}; stake {own} moved; swap cost {cost} rao, fee {}",
        n.coldkey, n.registered_at_block, o.fee_rao
    );
}

#[tokio::test]
async fn live_network_registered_at_is_read_from_the_chain() {
    let test = "live_network_registered_at_is_read_from_the_chain";
    let Some(l) = live(test) else {
        return;
    };
    if !can_set_storage(&l, test).await {
        return;
    }
    let was = read(&l).await;
    // What a re-registration of the netuid writes (HEAD `subnets/subnet.rs:214`).
    set_subnet_u64(&l, "NetworkRegisteredAt", was + 1_000).await;
    let seen = read(&l).await;
    set_subnet_u64(&l, "NetworkRegisteredAt", was).await;
    assert_eq!(seen, was + 1_000);
    assert_eq!(read(&l).await, was);
    println!("NetworkRegisteredAt {was}, set to {seen} and back");
}

async fn read(l: &Live) -> u64 {
    let snap = l.chain.snapshot(l.netuid, &SnapshotQuery::default()).await;
    snap.unwrap().params.network_registered_at
}
