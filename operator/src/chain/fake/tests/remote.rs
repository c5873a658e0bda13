//! The same scenario through the in-process `FakeChain` and through `RemoteFakeChain` against a
//! server on 127.0.0.1 must give identical results, ledgers and counters.

use super::*;
use crate::chain::remote::RemoteFakeChain;
use crate::chain::{Chain, RegisterRequest, ServeAxonRequest, Signer, StakeRequest};

/// Serves `chain` on a free port of 127.0.0.1 (abort the task to stop it).
pub async fn serve(chain: &FakeChain) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = server::router(chain.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, task)
}

/// Runs every kind of call (successes, dispatch errors, pool rejections, faults) and returns a
/// transcript of the results. `admin` is the chain behind `chain`.
async fn scenario(chain: &dyn Chain, admin: &FakeChain) -> Vec<String> {
    let cold = Signer::Key(keypair(1));
    let proxy = Signer::Proxy {
        proxy: keypair(2),
        real: cold.payer(),
    };
    let hotkey = keypair(3);
    let hk = id_of(&hotkey);
    admin.with_state(|s| {
        s.account_mut(&cold.payer()).free = 10 * TAO;
        s.account_mut(&proxy.signer_account()).free = TAO;
        s.proxies.insert(crate::chain::fake::ProxyGrant {
            real: cold.payer(),
            delegate: proxy.signer_account(),
            proxy_type: "Registration".into(),
            delay: 0,
        });
    });
    let mut log = Vec::new();
    let register = |signer, nonce, limit, hotkey| RegisterRequest {
        netuid: NETUID,
        hotkey,
        limit_rao: limit,
        signer,
        tx: tx(nonce),
    };
    let stake = |nonce, amount| StakeRequest {
        netuid: NETUID,
        hotkey: hk,
        amount_rao: amount,
        limit: None,
        signer: &cold,
        tx: tx(nonce),
    };
    let serve = |nonce| ServeAxonRequest {
        netuid: NETUID,
        hotkey: &hotkey,
        ip: "10.0.0.5".parse().unwrap(),
        port: 8091,
        version: 3,
        tx: tx(nonce),
    };
    log.push(format!("{:?}", chain.head().await));
    log.push(format!(
        "{:?}",
        chain.snapshot(NETUID, &Default::default()).await
    ));
    log.push(format!(
        "{:?}",
        chain.register(&register(&cold, 0, 1, hk)).await
    ));
    log.push(format!(
        "{:?}",
        chain.register(&register(&cold, 1, TAO, hk)).await
    ));
    log.push(format!(
        "{:?}",
        chain.register(&register(&cold, 2, 10 * TAO, hk)).await
    ));
    log.push(format!(
        "{:?}",
        chain.register(&register(&cold, 1, TAO, hk)).await
    ));
    admin
        .with_faults(|f| f.inject(Method::AddStake, Fault::IncludedResultLost, 1))
        .unwrap();
    log.push(format!("{:?}", chain.add_stake(&stake(3, TAO)).await));
    log.push(format!("{:?}", chain.uid_of(NETUID, &hk).await));
    log.push(format!("{:?}", chain.free_balance(&cold.payer()).await));
    log.push(format!("{:?}", chain.account_nonce(&cold.payer()).await));
    log.push(format!("{:?}", chain.add_stake(&stake(4, 1)).await));
    log.push(format!(
        "{:?}",
        chain.remove_stake(&stake(5, TAO / 4)).await
    ));
    log.push(format!("{:?}", chain.serve_axon(&serve(0)).await));
    log.push(format!("{:?}", chain.serve_axon(&serve(1)).await));
    log.push(format!(
        "{:?}",
        chain.register(&register(&proxy, 0, TAO * 2, acct(9))).await
    ));
    admin.with_faults(|f| f.unreachable = true);
    log.push(format!("{:?}", chain.head().await));
    admin.with_faults(|f| f.unreachable = false);
    admin
        .with_faults(|f| f.inject(Method::Snapshot, Fault::Timeout, 1))
        .unwrap();
    log.push(format!(
        "{:?}",
        chain.snapshot(NETUID, &Default::default()).await
    ));
    log.push(format!(
        "{:?}",
        chain.snapshot(9, &Default::default()).await
    ));
    admin.advance(5);
    log.push(format!(
        "{:?}",
        chain.snapshot(NETUID, &Default::default()).await
    ));
    log
}

#[tokio::test]
async fn remote_client_matches_the_in_process_chain() {
    let local = FakeChain::new(genesis());
    let expected = scenario(&local, &local).await;

    let served = FakeChain::new(genesis());
    let (addr, server) = serve(&served).await;
    let remote = RemoteFakeChain::new(&format!("fake+http://{addr}")).unwrap();
    assert_eq!(remote.endpoint(), format!("fake+http://{addr}"));
    let got = scenario(&remote, &served).await;
    server.abort();

    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "step {i}");
    }
    assert_eq!(got.len(), expected.len());
    assert_eq!(served.ledger(), local.ledger());
    assert_eq!(served.calls(), local.calls());
    // The scenario exercised what it claims to.
    let joined = expected.join("\n");
    for needle in [
        "RegistrationPriceLimitExceeded",
        "HotKeyAlreadyRegisteredInSubNet",
        "Stale",
        "OutcomeUnknown",
        "AmountTooLow",
        "ServingRateLimitExceeded",
        "Unreachable",
        "Timeout",
        "SubnetNotFound(9)",
    ] {
        assert!(joined.contains(needle), "{needle} missing from\n{joined}");
    }
    let burns = local.ledger().iter().filter(|e| e.burned_rao > 0).count();
    assert_eq!(burns, 2, "own hotkey once, the proxy's hotkey once");
}

#[tokio::test]
async fn remote_client_reports_a_dead_server_as_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let remote = RemoteFakeChain::new(&format!("fake+http://{addr}")).unwrap();
    assert!(matches!(
        remote.head().await,
        Err(ChainError::Unreachable(_))
    ));
    assert!(RemoteFakeChain::new("wss://example.org").is_err());
}

/// Every admin path and body shape the e2e tests (tests/e2e/fakechain.py) rely on.
#[tokio::test]
async fn admin_http_api() {
    use serde_json::json;
    let served = FakeChain::new(genesis());
    let (addr, server) = serve(&served).await;
    let r = RemoteFakeChain::new(&format!("http://{addr}")).unwrap();
    let post = |path: &'static str, body: serde_json::Value| {
        let r = &r;
        async move { r.admin(path, Some(&body)).await }
    };
    let get = |path: String| {
        let r = &r;
        async move { r.admin(&path, None).await.unwrap() }
    };
    let (cold, hot) = (acct(1).ss58(), acct(10).ss58());

    let head = post("/admin/advance", json!({"blocks": 5})).await.unwrap();
    assert_eq!(head, json!({"head": HEAD + 5}));
    let sn = post("/admin/subnets/2", json!({"burn": 5 * TAO}))
        .await
        .unwrap();
    assert_eq!(sn["burn_now"], json!(5 * TAO));
    assert_eq!(sn["config"]["burn_block"], json!(HEAD + 5));
    assert_eq!(
        r.snapshot(2, &Default::default())
            .await
            .unwrap()
            .params
            .burn,
        5 * TAO
    );
    let rt = post("/admin/runtime", json!({"fee_rao": 7})).await.unwrap();
    assert_eq!(rt["fee_rao"], json!(7));
    let body = json!({"account": cold, "free": 3, "nonce": 2});
    assert_eq!(
        post("/admin/balance", body).await.unwrap(),
        json!({"free": 3, "nonce": 2})
    );
    assert_eq!(
        get(format!("/admin/account/{cold}")).await,
        json!({"free": 3, "nonce": 2})
    );
    let body = json!({"real": cold, "delegate": acct(2).ss58()});
    assert_eq!(
        post("/admin/proxy", body).await.unwrap(),
        json!([{"real": cold, "delegate": acct(2).ss58(), "proxy_type": "Any", "delay": 0}])
    );

    let body = json!({"netuid": 1, "hotkey": hot, "coldkey": cold, "bump_burn": true});
    assert_eq!(
        post("/admin/register", body).await.unwrap(),
        json!({"uid": 0})
    );
    assert_eq!(get(format!("/admin/uid/1/{hot}")).await, json!({"uid": 0}));
    let body = json!({"netuid": 1, "hotkey": hot, "figures": {"emission": 9, "stake": 4}});
    let neuron = post("/admin/figures", body).await.unwrap();
    assert_eq!(
        (neuron["emission"].clone(), neuron["stake"].clone()),
        (json!(9), json!(4))
    );
    let snap = get("/admin/snapshot/1".into()).await;
    // Subnet 1's burn decayed for 5 blocks, then the registration raised it by 1.26.
    let paid = served.with_state(|s| s.ledger.len());
    assert_eq!(paid, 0, "admin registrations are not extrinsics");
    let decayed = (TAO as f64 * 0.5f64.powf(5.0 / 360.0)).round() as u64;
    assert_eq!(snap["params"]["burn"], json!(decayed * 126 / 100));
    let body = json!({"netuid": 1, "hotkey": hot, "replacement": acct(11).ss58()});
    let pruned = post("/admin/deregister", body).await.unwrap();
    assert_eq!(pruned, json!({"uid": 0, "replacement": acct(11).ss58()}));
    assert_eq!(
        get(format!("/admin/uid/1/{hot}")).await,
        json!({"uid": null})
    );

    let body = json!({"method": "head", "fault": "disconnect", "count": 2});
    post("/admin/faults", body).await.unwrap();
    assert!(matches!(r.head().await, Err(ChainError::Unreachable(_))));
    assert_eq!(
        get("/admin/faults".into()).await["queued"],
        json!({"head": ["disconnect"]})
    );
    post("/admin/unreachable", json!({"on": true}))
        .await
        .unwrap();
    assert!(matches!(
        r.uid_of(1, &acct(10)).await,
        Err(ChainError::Unreachable(_))
    ));
    post("/admin/faults/clear", json!({})).await.unwrap();
    assert_eq!(r.head().await, Ok(HEAD + 5));
    let calls = json!({"head": 2, "snapshot": 1, "uid_of": 1});
    assert_eq!(get("/admin/calls".into()).await, calls);
    assert_eq!(post("/admin/calls/reset", json!({})).await.unwrap(), calls);
    assert_eq!(get("/admin/calls".into()).await, json!({}));
    assert_eq!(get("/admin/ledger".into()).await, json!([]));
    assert_eq!(get("/admin/state".into()).await["head"], json!(HEAD + 5));

    // Refusals: HTTP 400 with a message naming the problem.
    let refused = [
        ("/admin/subnets/1", json!({"bogus": 1}), "bogus"),
        (
            "/admin/faults",
            json!({"method": "head", "fault": "included_result_lost"}),
            "writes",
        ),
        (
            "/admin/register",
            json!({"netuid": 9, "hotkey": hot}),
            "does not exist",
        ),
        (
            "/admin/balance",
            json!({"account": "nope", "free": 1}),
            "SS58",
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
