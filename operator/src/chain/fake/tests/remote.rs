//! The same scenario through the in-process `FakeChain` and through `RemoteFakeChain` against a
//! server on 127.0.0.1 must give identical results, ledgers and counters.

use super::*;
use crate::chain::remote::RemoteFakeChain;
use crate::chain::{Chain, RegisterRequest, ServeAxonRequest, Signer, StakeRequest};

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
        s.proxies.insert((cold.payer(), proxy.signer_account()));
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
    log.push(format!("{:?}", chain.snapshot(NETUID).await));
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
        chain.register(&register(&cold, 2, TAO, hk)).await
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
    log.push(format!("{:?}", chain.snapshot(NETUID).await));
    log.push(format!("{:?}", chain.snapshot(9).await));
    admin.advance(5);
    log.push(format!("{:?}", chain.snapshot(NETUID).await));
    log
}

#[tokio::test]
async fn remote_client_matches_the_in_process_chain() {
    let local = FakeChain::new(genesis());
    let expected = scenario(&local, &local).await;

    let served = FakeChain::new(genesis());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = server::router(served.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
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
        "Custom(12)",
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
