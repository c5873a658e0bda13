//! The pool against the in-process fake chain read live and as a node 20 blocks behind
//! (`FakeChain::behind`), with its rate limit and faults.

use super::*;
use crate::chain::fake::{FakeChain, Fault, Genesis, Method, SubnetConfig};
use crate::chain::{AccountId, RegisterRequest, Signer, TxParams};
use std::time::Duration;

const NETUID: u16 = 21;

fn chain() -> FakeChain {
    let mut genesis = Genesis {
        head: 1000,
        ..Genesis::default()
    };
    genesis.subnets.insert(NETUID, SubnetConfig::default());
    let chain = FakeChain::new(genesis);
    chain.advance(30);
    chain
}

fn key() -> SubnetKey {
    SubnetKey {
        namespace: "ns".into(),
        name: "sn".into(),
    }
}

fn pool_of(members: &[(&str, &FakeChain)], opts: PoolOptions) -> EndpointPool {
    let endpoints = members
        .iter()
        .map(|(url, c)| {
            (
                url.to_string(),
                Ok(Arc::new((*c).clone()) as Arc<dyn Chain>),
            )
        })
        .collect();
    EndpointPool::new(key(), endpoints, opts, None).unwrap()
}

fn states(pool: &EndpointPool) -> Vec<(String, EndpointState)> {
    pool.report()
        .into_iter()
        .map(|r| (r.url, r.state))
        .collect()
}

fn lagged(chain: &FakeChain, m: Method) -> u64 {
    chain.with_faults(|f| f.lagged_calls.get(&m).copied().unwrap_or(0))
}

#[tokio::test]
async fn reads_come_from_the_fresh_endpoint_never_the_lagging_one() {
    let live = chain();
    let hotkey = AccountId([7; 32]);
    live.with_state(|s| s.register_external(NETUID, hotkey, None, false))
        .unwrap();
    // Listed first, as `spec.endpoints` tried in order would have used it.
    let pool = pool_of(
        &[("ws://lagging", &live.behind(20)), ("ws://fresh", &live)],
        PoolOptions::default(),
    );
    assert_eq!(pool.uid_of(NETUID, &hotkey).await, Ok(Some(0)));
    let (served_by, snap) = pool.snapshot_from(NETUID, &Default::default()).await;
    assert_eq!(served_by.as_deref(), Some("ws://fresh"));
    assert_eq!(snap.unwrap().block, 1030);
    assert_eq!(pool.endpoint(), "ws://fresh");
    assert_eq!(
        states(&pool),
        [
            ("ws://lagging".into(), EndpointState::Lagging),
            ("ws://fresh".into(), EndpointState::Healthy)
        ]
    );
    let report = pool.report();
    assert_eq!((report[0].head, report[1].head), (Some(1010), Some(1030)));
    // The lagging endpoint was only asked for its head.
    assert_eq!(lagged(&live, Method::Head), 1);
    assert_eq!(
        lagged(&live, Method::UidOf) + lagged(&live, Method::Snapshot),
        0
    );
}

#[tokio::test]
async fn a_rate_limited_endpoint_is_backed_off_and_the_lagging_one_waits_to_catch_up() {
    let live = chain();
    let opts = PoolOptions {
        rate_limit_backoff: (Duration::from_millis(300), Duration::from_secs(1)),
        probe_every: Duration::ZERO,
        ..PoolOptions::default()
    };
    let pool = pool_of(
        &[("ws://lagging", &live.behind(20)), ("ws://fresh", &live)],
        opts,
    );
    assert_eq!(pool.head().await, Ok(1030));
    live.with_faults(|f| f.rate_limit.live = true);
    // The fresh endpoint refuses; the lagging one is still 20 blocks behind what was seen.
    let err = pool.head().await.unwrap_err();
    assert!(
        matches!(&err, ChainError::Unreachable(m) if m.contains("ws://lagging Lagging") && m.contains("ws://fresh RateLimited")),
        "{err}"
    );
    let limited = || live.with_faults(|f| f.rate_limited.get(&Method::Head).copied());
    assert_eq!(limited(), Some(1));
    // Within its backoff it is not asked again, however often the pool is.
    for _ in 0..5 {
        assert!(pool.head().await.is_err());
    }
    assert_eq!(limited(), Some(1));
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(pool.head().await.is_err());
    assert_eq!(limited(), Some(2), "asked again once the backoff ran out");
    // The lagging endpoint is used once it passes the last head seen (within the tolerance).
    live.advance(17);
    assert_eq!(pool.head().await, Ok(1027));
    assert_eq!(pool.endpoint(), "ws://lagging");
    live.with_faults(|f| f.rate_limit.live = false);
    tokio::time::sleep(Duration::from_millis(700)).await;
    // The fresh one recovers and the other is lagging again: back to the fresh one.
    assert_eq!(pool.head().await, Ok(1047));
    assert_eq!(pool.endpoint(), "ws://fresh");
    assert_eq!(states(&pool)[0].1, EndpointState::Lagging);
}

#[tokio::test]
async fn reads_fail_over_on_endpoint_failures_not_on_chain_answers() {
    let live = chain();
    // A second node at the same head.
    let twin = live.behind(0);
    let pool = pool_of(
        &[("ws://a", &live), ("ws://b", &twin)],
        PoolOptions::default(),
    );
    assert_eq!(pool.head().await, Ok(1030));
    assert_eq!(pool.endpoint(), "ws://a");
    // The chain's answer is the answer: not asked again elsewhere.
    let (by, snap) = pool.snapshot_from(99, &Default::default()).await;
    assert_eq!(by.as_deref(), Some("ws://a"));
    assert_eq!(snap.unwrap_err(), ChainError::SubnetNotFound(99));
    assert_eq!(lagged(&twin, Method::Snapshot), 0);
    // A lost connection is the endpoint's: the next one answers.
    live.with_faults(|f| f.inject(Method::Snapshot, Fault::Disconnect, 1))
        .unwrap();
    let (by, snap) = pool.snapshot_from(NETUID, &Default::default()).await;
    assert_eq!(
        (by.as_deref(), snap.map(|s| s.block)),
        (Some("ws://b"), Ok(1030))
    );
    assert_eq!(lagged(&twin, Method::Snapshot), 1);
    assert_eq!(states(&pool)[0].1, EndpointState::Unreachable);
    assert_eq!(pool.endpoint(), "ws://b");
}

#[tokio::test]
async fn a_write_is_sent_once_and_never_again_elsewhere() {
    let live = chain();
    let twin = live.behind(0);
    let lagging = live.behind(20);
    let pool = pool_of(
        &[
            ("ws://lagging", &lagging),
            ("ws://a", &live),
            ("ws://b", &twin),
        ],
        PoolOptions::default(),
    );
    let key = subxt_signer::sr25519::Keypair::from_secret_key([1; 32]).unwrap();
    let signer = Signer::Key(key);
    live.with_state(|s| s.account_mut(&signer.payer()).free = 100 * crate::chain::fake::TAO);
    let req = RegisterRequest {
        netuid: NETUID,
        hotkey: AccountId([9; 32]),
        limit_rao: u64::MAX,
        signer: &signer,
        tx: TxParams {
            nonce: 0,
            birth_block: 1030,
            period: 64,
        },
    };
    for fault in [Fault::Timeout, Fault::IncludedResultLost] {
        live.with_faults(|f| f.inject(Method::Register, fault, 1))
            .unwrap();
        // Each time a fresh pool has "a" in use; the error is the caller's to resolve.
        let pool = pool_of(
            &[("ws://a", &live), ("ws://b", &twin)],
            PoolOptions::default(),
        );
        assert!(pool.register(&req).await.is_err(), "{fault:?}");
        assert_eq!(
            lagged(&twin, Method::Register),
            0,
            "{fault:?}: not sent to b"
        );
    }
    // The lost answer was an inclusion: exactly one registration, none through another node.
    assert_eq!(live.ledger().len(), 1);
    // A write never goes to the lagging endpoint, even listed first.
    let req = RegisterRequest {
        hotkey: AccountId([8; 32]),
        tx: TxParams { nonce: 1, ..req.tx },
        ..req
    };
    assert!(pool.register(&req).await.unwrap().result.label() == "Success");
    assert_eq!(lagged(&lagging, Method::Register), 0);
}

#[tokio::test]
async fn an_abandoned_request_counts_as_a_timeout_of_its_endpoint() {
    let live = chain();
    let pool = pool_of(
        &[("ws://a", &live), ("ws://b", &live.behind(0))],
        PoolOptions {
            abandoned_after: Duration::from_millis(50),
            ..PoolOptions::default()
        },
    );
    assert_eq!(pool.head().await, Ok(1030));
    // A request that never ends, given up by its caller after 100 ms.
    let never = pool.attempt(
        0,
        std::future::pending::<Result<u64, ChainError>>(),
        delegation::no_head,
        true,
    );
    assert!(tokio::time::timeout(Duration::from_millis(100), never)
        .await
        .is_err());
    let report = pool.report();
    assert_eq!(report[0].state, EndpointState::Unreachable);
    assert!(report[0]
        .last_error
        .as_deref()
        .unwrap()
        .starts_with("no answer within"));
    // A quick cancellation says nothing about the endpoint.
    let quick = pool.attempt(
        1,
        std::future::pending::<Result<u64, ChainError>>(),
        delegation::no_head,
        true,
    );
    assert!(tokio::time::timeout(Duration::from_millis(1), quick)
        .await
        .is_err());
    assert_eq!(pool.report()[1].state, EndpointState::Healthy);
}

#[test]
fn an_endpoint_without_a_client_is_reported_with_its_reason() {
    let live = chain();
    let endpoints = vec![
        (
            "http://user:pw@x".to_string(),
            Err(anyhow::anyhow!(
                "unsupported chain endpoint \"http://user:pw@x\""
            )),
        ),
        ("ws://a".to_string(), Ok(Arc::new(live) as Arc<dyn Chain>)),
    ];
    let pool = EndpointPool::new(key(), endpoints, PoolOptions::default(), None).unwrap();
    let bad = &pool.report()[0];
    assert_eq!(
        (bad.url.as_str(), bad.state),
        ("http://***@x", EndpointState::Failing)
    );
    assert_eq!(
        bad.last_error.as_deref(),
        Some("unsupported chain endpoint \"http://***@x\"")
    );
    let none = EndpointPool::new(
        key(),
        vec![("http://x".into(), Err(anyhow::anyhow!("unsupported")))],
        PoolOptions::default(),
        None,
    );
    assert!(none.is_err());
}
