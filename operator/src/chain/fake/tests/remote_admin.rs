//! The admin endpoints for emission, hotkey swaps and netuid reuse, over HTTP, with the body
//! shapes tests/e2e/fakechain.py sends.

use serde_json::json;

use super::remote::serve;
use super::*;
use crate::chain::remote::RemoteFakeChain;

#[tokio::test]
async fn swap_reuse_and_emission_over_http() {
    let served = FakeChain::new(genesis());
    let (addr, server) = serve(&served).await;
    let r = RemoteFakeChain::new(&format!("http://{addr}")).unwrap();
    let post = |path: &'static str, body: serde_json::Value| {
        let r = &r;
        async move { r.admin(path, Some(&body)).await }
    };
    let (cold, hot, new) = (acct(1).ss58(), acct(10).ss58(), acct(11).ss58());
    post(
        "/admin/register",
        json!({"netuid": 1, "hotkey": hot, "coldkey": cold}),
    )
    .await
    .unwrap();
    let stake = json!({"netuid": 1, "hotkey": hot, "coldkey": acct(2).ss58(), "alpha": 3 * TAO});
    post("/admin/stake", stake).await.unwrap();
    post(
        "/admin/figures",
        json!({"netuid": 1, "hotkey": hot, "figures": {"stake": TAO}}),
    )
    .await
    .unwrap();

    // Dividends with no take: shared 1 : 3.
    let body = json!({"netuid": 1, "hotkey": hot, "dividends": 4 * TAO, "take": 0});
    let e = post("/admin/emission", body).await.unwrap();
    assert_eq!(e, json!({"total": 8 * TAO, "owner": 2 * TAO}));
    let body = json!({"netuid": 1, "hotkey": hot, "incentive": TAO});
    let e = post("/admin/emission", body).await.unwrap();
    assert_eq!(e, json!({"total": 9 * TAO, "owner": 3 * TAO}));
    let path = format!("/admin/stake/1/{hot}/{}", acct(2).ss58());
    let delegated = r.admin(&path, None).await.unwrap();
    assert_eq!(delegated, json!({"alpha": 6 * TAO, "total": 9 * TAO}));

    // The coldkey's own swap_hotkey_v2 extrinsic: nonce, fee and the ledger.
    let body = json!({"coldkey": cold, "hotkey": hot, "new_hotkey": new});
    let out = post("/admin/swap-hotkey", body.clone()).await.unwrap();
    assert_eq!(out["result"], json!("Success"), "{out}");
    assert_eq!(out["fee_rao"], json!(FEE));
    let uid = r.admin(&format!("/admin/uid/1/{new}"), None).await.unwrap();
    assert_eq!(uid, json!({"uid": 0}));
    let ledger = r.admin("/admin/ledger", None).await.unwrap();
    assert_eq!(ledger[0]["method"], json!("swap_hotkey_v2"));
    assert_eq!(ledger[0]["call"]["new_hotkey"], json!(new));
    // Again: the old hotkey is no longer the coldkey's (all-subnet swap) → a dispatch error.
    let out = post("/admin/swap-hotkey", body).await.unwrap();
    assert_eq!(
        out["result"],
        json!({"Failed": {"pallet": "SubtensorModule", "error": "NonAssociatedColdKey"}})
    );

    // Dissolve netuid 1 (stable pool of 1000 TAO, 1000 alpha) and register it anew.
    let refunds = post("/admin/dissolve", json!({"netuid": 1})).await.unwrap();
    let refunded: Vec<_> = refunds
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["coldkey"].clone())
        .collect();
    assert_eq!(refunded, vec![json!(cold), json!(acct(2).ss58())]);
    assert!(r.admin("/admin/snapshot/1", None).await.is_err());
    let head = post("/admin/advance", json!({"blocks": 3})).await.unwrap()["head"].clone();
    let body = json!({"netuid": 1, "coldkey": acct(7).ss58(), "hotkey": acct(70).ss58(),
                      "lock_rao": 50 * TAO, "params": {"subtoken_enabled": true}});
    let cfg = post("/admin/register-network", body).await.unwrap();
    assert_eq!(
        (&cfg["subtoken_enabled"], &cfg["pool_tao"]),
        (&json!(true), &json!(50 * TAO))
    );
    let snap = r.admin("/admin/snapshot/1", None).await.unwrap();
    assert_eq!(snap["params"]["network_registered_at"], head);
    assert_eq!(snap["neurons"][0]["hotkey"], json!(acct(70).ss58()));

    let refused = [
        ("/admin/dissolve", json!({"netuid": 9}), "SubnetNotExists"),
        (
            "/admin/register-network",
            json!({"netuid": 1, "coldkey": cold, "hotkey": hot}),
            "in use",
        ),
        (
            "/admin/emission",
            json!({"netuid": 1, "hotkey": hot, "incentive": 1}),
            "not registered",
        ),
        // An unfunded coldkey cannot pay the fee: the pool refuses the swap.
        (
            "/admin/swap-hotkey",
            json!({"coldkey": acct(9).ss58(), "hotkey": hot, "new_hotkey": new}),
            "Payment",
        ),
    ];
    for (path, body, needle) in refused {
        match post(path, body).await {
            Err(ChainError::Other(msg)) => assert!(msg.contains(needle), "{path}: {msg}"),
            other => panic!("{path}: {other:?}"),
        }
    }
    server.abort();
}
