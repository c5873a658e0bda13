//! The server's lagging views (`/lag/{blocks}/chain/...`) and rate limit (HTTP 429), through
//! `RemoteFakeChain` as the operator sees them.

use super::*;
use crate::chain::remote::RemoteFakeChain;
use crate::chain::{Chain, RegisterRequest, Signer};
use serde_json::json;

#[tokio::test]
async fn a_lagging_view_and_a_rate_limit_over_http() {
    let served = FakeChain::new(genesis());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = server::router(served.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let live = RemoteFakeChain::new(&format!("fake+http://{addr}")).unwrap();
    let lagging = RemoteFakeChain::new(&format!("fake+http://{addr}/lag/20")).unwrap();
    assert_eq!(lagging.endpoint(), format!("fake+http://{addr}/lag/20"));

    // Before 20 blocks of history exist the view says what is missing.
    let early = lagging.head().await.unwrap_err().to_string();
    assert!(early.contains("advance the chain 20 blocks"), "{early}");
    served.advance(25);
    let hk = acct(10);
    served
        .with_state(|s| s.register_external(NETUID, hk, None, false))
        .unwrap();
    served.advance(1);
    // (client, head, the hotkey's uid)
    for (chain, head, uid) in [(&live, HEAD + 26, Some(0)), (&lagging, HEAD + 6, None)] {
        assert_eq!(chain.head().await, Ok(head));
        assert_eq!(chain.uid_of(NETUID, &hk).await, Ok(uid));
        let snap = chain.snapshot(NETUID, &Default::default()).await.unwrap();
        assert_eq!(
            (snap.block, snap.neurons.len()),
            (head, uid.map_or(0, |_| 1))
        );
    }
    // A write through the lagging node reaches the chain, as a node gossips it.
    let cold = Signer::Key(keypair(1));
    served.with_state(|s| s.account_mut(&cold.payer()).free = 10 * TAO);
    let req = RegisterRequest {
        netuid: NETUID,
        hotkey: acct(11),
        limit_rao: 10 * TAO,
        signer: &cold,
        tx: tx(0),
    };
    let included = lagging.register(&req).await;
    assert!(included.is_ok(), "{included:?}");
    assert_eq!(served.ledger().len(), 1);

    // The rate limit: HTTP 429 on the live view only, nothing applied, counted.
    live.admin("/admin/rate-limit", Some(&json!({"on": true})))
        .await
        .unwrap();
    assert!(matches!(live.head().await, Err(ChainError::RateLimited(_))));
    let req = RegisterRequest {
        hotkey: acct(12),
        tx: tx(1),
        ..req
    };
    assert!(matches!(
        live.register(&req).await,
        Err(ChainError::RateLimited(_))
    ));
    assert_eq!(served.ledger().len(), 1, "a refused write is not applied");
    assert_eq!(lagging.head().await, Ok(HEAD + 6));
    let limited = live
        .admin(
            "/admin/rate-limit",
            Some(&json!({"on": true, "lagged": true})),
        )
        .await
        .unwrap();
    assert_eq!(limited, json!({"live": true, "lagged": true}));
    assert!(matches!(
        lagging.head().await,
        Err(ChainError::RateLimited(_))
    ));
    let faults = live.admin("/admin/faults", None).await.unwrap();
    assert_eq!(faults["rate_limited"], json!({"head": 2, "register": 1}));
    assert_eq!(
        faults["lagged_calls"],
        json!({"head": 4, "snapshot": 1, "uid_of": 1, "register": 1})
    );
    assert_eq!(
        faults["calls"]["head"],
        json!(2),
        "live attempts counted as calls"
    );
    // Clearing the faults lifts the limits; resetting the counters zeroes all of them.
    live.admin("/admin/faults/clear", Some(&json!({})))
        .await
        .unwrap();
    assert_eq!(live.head().await, Ok(HEAD + 26));
    live.admin("/admin/calls/reset", Some(&json!({})))
        .await
        .unwrap();
    let faults = live.admin("/admin/faults", None).await.unwrap();
    for counter in ["calls", "lagged_calls", "rate_limited"] {
        assert_eq!(faults[counter], json!({}), "{counter}");
    }
    let beyond =
        RemoteFakeChain::new(&format!("fake+http://{addr}/lag/{}", HISTORY_BLOCKS + 1)).unwrap();
    assert!(matches!(beyond.head().await, Err(ChainError::Other(_))));
    server.abort();
}
