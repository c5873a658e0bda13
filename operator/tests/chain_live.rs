//! Live tests against a real Subtensor node. They run only when `TF_TEST_SUBTENSOR_URL`,
//! `TF_TEST_COLDKEY_URI` (a funded coldkey, e.g. `//Alice` on a devnet) and `TF_TEST_NETUID`
//! are set; otherwise each prints a skip line and passes. Run them one at a time
//! (`--test-threads=1`): they share the coldkey's nonce.
//!
//! What each checks is what the chain did (balances, `Uids`, the snapshot), not what our client
//! says it did.

mod live;

use tensorfleet::chain::{
    Chain, ChainError, FindTx, PriceLimit, RegisterRequest, ServeAxonRequest, Signer,
    SnapshotQuery, StakeRequest, TxKind, TxResult,
};

use live::*;

#[tokio::test]
async fn live_register_stake_serve_and_read_back() {
    let Some(l) = live("live_register_stake_serve_and_read_back") else {
        return;
    };
    let (chain, netuid) = (&l.chain, l.netuid);
    let signer = Signer::Key(l.coldkey.clone());
    let payer = signer.payer();
    let hot = fresh_key();
    let hotkey = id(&hot);
    let cap = cap(&l).await;
    assert_eq!(chain.uid_of(netuid, &hotkey).await.unwrap(), None);

    let before = chain.free_balance(&payer).await.unwrap();
    let req = RegisterRequest {
        netuid,
        hotkey,
        limit_rao: cap,
        signer: &signer,
        tx: tx(chain, &payer).await,
    };
    let o = chain.register(&req).await.unwrap();
    assert_eq!(o.result, TxResult::Success, "{o:?}");
    assert!(
        o.amounts_known && o.burned_rao > 0 && o.burned_rao <= cap,
        "{o:?}"
    );
    // The burn and fee read from the events are exactly what left the coldkey.
    let after = chain.free_balance(&payer).await.unwrap();
    assert_eq!(before - after, o.burned_rao + o.fee_rao, "{o:?}");
    let uid = chain
        .uid_of(netuid, &hotkey)
        .await
        .unwrap()
        .expect("registered");

    // The same outcome, found again after the fact from (signer, nonce) alone: how an intent
    // whose answer was lost is resolved.
    let q = FindTx {
        signer: payer,
        nonce: req.tx.nonce,
        from_block: req.tx.birth_block,
        to_block: chain.head().await.unwrap().min(req.tx.mortal_until()),
        payer,
        kind: TxKind::Register,
    };
    let found = chain
        .find_tx(&q)
        .await
        .unwrap()
        .expect("found by signer and nonce");
    assert_eq!(found.outcome, o, "{found:?}");
    assert!(
        found.call.ends_with("register") || found.call.ends_with("register_limit"),
        "{found:?}"
    );
    // Its arguments, to tell it from another extrinsic of the same account.
    assert_eq!(
        (found.hotkey, found.netuid),
        (Some(hotkey), Some(netuid)),
        "{found:?}"
    );
    let unused = FindTx {
        nonce: req.tx.nonce + 1_000,
        ..q
    };
    assert_eq!(chain.find_tx(&unused).await.unwrap(), None);

    // A second registration of the same hotkey is refused by the chain; no burn is paid.
    let req = RegisterRequest {
        tx: tx(chain, &payer).await,
        limit_rao: u64::MAX / 2,
        ..req
    };
    let again = chain.register(&req).await.unwrap();
    assert_eq!(
        again.result.label(),
        "HotKeyAlreadyRegisteredInSubNet",
        "{again:?}"
    );
    assert_eq!(again.burned_rao, 0);

    // Stake 0.1 TAO, limited to 1 % above the price read now.
    let query = SnapshotQuery {
        stakes: vec![(hotkey, payer)],
        ..SnapshotQuery::default()
    };
    let snap = chain.snapshot(netuid, &query).await.unwrap();
    let pool = snap.pool.expect("a dynamic subnet has a pool");
    assert!(pool.price_rao > 0, "{pool:?}");
    let stake = StakeRequest {
        netuid,
        hotkey,
        amount_rao: 100_000_000,
        limit: Some(PriceLimit {
            limit_price_rao: pool.price_rao + pool.price_rao / 100,
            allow_partial: false,
        }),
        signer: &signer,
        tx: tx(chain, &payer).await,
    };
    let s = chain.add_stake(&stake).await.unwrap();
    assert_eq!(s.result, TxResult::Success, "{s:?}");
    let moved = s.stake.expect("StakeAdded in the events");
    assert_eq!(moved.tao_rao, 100_000_000, "{s:?}");
    assert!(moved.alpha_rao > 0, "{s:?}");

    let ip = "127.0.0.2".parse().unwrap();
    let serve = ServeAxonRequest {
        netuid,
        hotkey: &hot,
        ip,
        port: 8091,
        version: 1,
        tx: tx(chain, &hotkey).await,
    };
    let a = chain.serve_axon(&serve).await.unwrap();
    assert_eq!(a.result, TxResult::Success, "{a:?}");

    let snap = chain.snapshot(netuid, &query).await.unwrap();
    let n = snap.neuron_by_hotkey(&hotkey).expect("in snapshot");
    assert_eq!(n.uid, uid);
    // The hotkey's alpha: what the stake bought (plus any emission since).
    assert!(n.stake >= moved.alpha_rao, "{n:?} {moved:?}");
    let own = snap.own_stake(&hotkey, &payer).expect("queried");
    assert!(own >= moved.alpha_rao && own <= n.stake, "own {own}, {n:?}");
    assert!(
        n.registered_at_block >= req.tx.birth_block.saturating_sub(64),
        "{n:?}"
    );
    let axon = n.axon.as_ref().expect("axon served");
    assert_eq!((axon.ip, axon.port), (ip, 8091));
    println!(
        "registered uid {uid}: burn {} fee {}; staked {} TAO for {} alpha; own {own}, total {}",
        o.burned_rao, o.fee_rao, moved.tao_rao, moved.alpha_rao, n.stake
    );
}

#[tokio::test]
async fn live_register_refused_above_cap_without_signing() {
    let Some(l) = live("live_register_refused_above_cap_without_signing") else {
        return;
    };
    let signer = Signer::Key(l.coldkey.clone());
    let hotkey = id(&fresh_key());
    let before = l.chain.account_nonce(&signer.payer()).await.unwrap();
    let req = RegisterRequest {
        netuid: l.netuid,
        hotkey,
        limit_rao: 0,
        signer: &signer,
        tx: tx(&l.chain, &signer.payer()).await,
    };
    match l.chain.register(&req).await {
        Err(ChainError::BurnAboveLimit { limit: 0, .. }) => {
            // Refused before signing: nothing was submitted, the nonce did not move.
            assert_eq!(
                l.chain.account_nonce(&signer.payer()).await.unwrap(),
                before
            );
        }
        // register_limit runtimes refuse on chain, atomically.
        Ok(o) => assert_eq!(o.result.label(), "RegistrationPriceLimitExceeded", "{o:?}"),
        Err(e) => panic!("{e}"),
    }
    assert_eq!(l.chain.uid_of(l.netuid, &hotkey).await.unwrap(), None);
}

#[tokio::test]
async fn live_proxied_registration_succeeds_and_a_failed_inner_call_pays_nothing() {
    let Some(l) = live("live_proxied_registration_succeeds_and_a_failed_inner_call_pays_nothing")
    else {
        return;
    };
    let (chain, netuid) = (&l.chain, l.netuid);
    let real = id(&l.coldkey);
    let proxy_key = fresh_key();
    let proxy = id(&proxy_key);
    fund(&l, &proxy, 1_000_000_000).await;
    add_proxy(&l, &proxy, "Registration").await;
    let signer = Signer::Proxy {
        proxy: proxy_key.clone(),
        real,
    };
    let hotkey = id(&fresh_key());
    let cap = cap(&l).await;
    let real_before = chain.free_balance(&real).await.unwrap();
    let req = RegisterRequest {
        netuid,
        hotkey,
        limit_rao: cap,
        signer: &signer,
        tx: tx(chain, &proxy).await,
    };
    let o = chain.register(&req).await.unwrap();
    assert_eq!(o.result, TxResult::Success, "{o:?}");
    assert!(chain.uid_of(netuid, &hotkey).await.unwrap().is_some());
    // The real coldkey paid the burn (and only it).
    let paid = real_before - chain.free_balance(&real).await.unwrap();
    assert_eq!(paid, o.burned_rao, "{o:?}");
    assert!(o.burned_rao > 0);

    // Again through the proxy: Proxy.proxy succeeds, its inner burned_register fails at
    // dispatch. Recorded as that failure, nothing counted as paid, nothing burned.
    let real_before = chain.free_balance(&real).await.unwrap();
    let again = RegisterRequest {
        tx: tx(chain, &proxy).await,
        ..req
    };
    let o = chain.register(&again).await.unwrap();
    assert_eq!(
        o.result,
        TxResult::failed("SubtensorModule", "HotKeyAlreadyRegisteredInSubNet"),
        "{o:?}"
    );
    assert_eq!(o.burned_rao, 0);
    assert_eq!(chain.free_balance(&real).await.unwrap(), real_before);
    assert_eq!(
        chain.account_nonce(&proxy).await.unwrap(),
        again.tx.nonce + 1
    );
}

#[tokio::test]
async fn live_proxy_of_the_wrong_type_is_named_and_nothing_is_signed() {
    let Some(l) = live("live_proxy_of_the_wrong_type_is_named_and_nothing_is_signed") else {
        return;
    };
    let real = id(&l.coldkey);
    let proxy_key = fresh_key();
    let proxy = id(&proxy_key);
    fund(&l, &proxy, 1_000_000_000).await;
    add_proxy(&l, &proxy, "Staking").await;
    let signer = Signer::Proxy {
        proxy: proxy_key,
        real,
    };
    let req = RegisterRequest {
        netuid: l.netuid,
        hotkey: id(&fresh_key()),
        limit_rao: cap(&l).await,
        signer: &signer,
        tx: tx(&l.chain, &proxy).await,
    };
    let Err(ChainError::ProxyNotAllowed(msg)) = l.chain.register(&req).await else {
        panic!("a Staking proxy must not be used to register")
    };
    assert!(
        msg.contains("Staking (delay 0)") && msg.contains(&real.ss58()),
        "{msg}"
    );
    assert_eq!(l.chain.account_nonce(&proxy).await.unwrap(), req.tx.nonce);
    println!("refused: {msg}");
}

#[tokio::test]
async fn live_pool_rejections_are_named() {
    let Some(l) = live("live_pool_rejections_are_named") else {
        return;
    };
    // serve_axon of an unregistered hotkey: refused before dispatch, by name.
    let hot = fresh_key();
    let serve = ServeAxonRequest {
        netuid: l.netuid,
        hotkey: &hot,
        ip: "203.0.113.5".parse().unwrap(),
        port: 8091,
        version: 1,
        tx: tx(&l.chain, &id(&hot)).await,
    };
    match l.chain.serve_axon(&serve).await {
        Err(ChainError::Rejected(r)) => {
            println!("rejected: {r}");
            assert_eq!(r.name, "HotKeyNotRegisteredInNetwork", "{r}");
        }
        // Spec 218 checks it at dispatch only (HEAD also in the pool, `extensions/subtensor.rs`).
        Ok(o) => {
            println!("included and failed: {:?}", o.result);
            assert_eq!(o.result.label(), "HotKeyNotRegisteredInNetwork", "{o:?}")
        }
        Err(e) => panic!("{e}"),
    }
    // A stale nonce: refused as Stale.
    let signer = Signer::Key(l.coldkey.clone());
    let mut t = tx(&l.chain, &signer.payer()).await;
    t.nonce = t.nonce.saturating_sub(1);
    let req = RegisterRequest {
        netuid: l.netuid,
        hotkey: id(&fresh_key()),
        limit_rao: cap(&l).await,
        signer: &signer,
        tx: t,
    };
    match l.chain.register(&req).await {
        Err(ChainError::Rejected(r)) => {
            println!("rejected: {r}");
            assert_eq!(r.name, "Stale", "{r}")
        }
        other => panic!("{other:?}"),
    }
}
