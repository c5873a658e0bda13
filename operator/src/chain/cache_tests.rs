use super::*;
use crate::chain::{NeuronInfo, SubnetParams};

fn key() -> SubnetKey {
    SubnetKey {
        namespace: "ns".into(),
        name: "sn".into(),
    }
}

/// A registered uid `b` with hotkey `[b; 32]` (shared with the poller tests).
pub(crate) fn info(b: u8, incentive: f64) -> NeuronInfo {
    NeuronInfo {
        uid: b.into(),
        hotkey: AccountId([b; 32]),
        coldkey: AccountId([0; 32]),
        active: true,
        axon: None,
        stake: 0,
        rank: 0.0,
        trust: 0.0,
        consensus: 0.0,
        incentive,
        dividends: 0.0,
        emission: 0,
        last_update: 1,
        validator_permit: false,
        registered_at_block: 1,
    }
}

fn snap(block: u64, burn: u64, neurons: Vec<NeuronInfo>) -> SubnetSnapshot {
    SubnetSnapshot {
        netuid: 21,
        block,
        params: SubnetParams {
            burn,
            ..Default::default()
        },
        neurons,
    }
}

fn t(s: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(s).unwrap()
}

#[test]
fn changes_between_snapshots() {
    let c = ChainCache::new();
    let e = || "ws://a".to_string();
    let hk = |b: u8| AccountId([b; 32]);
    let first = c.record_snapshot(
        &key(),
        e(),
        snap(1, 10, vec![info(1, 0.0), info(2, 0.0)]),
        t(1),
    );
    assert!(first.subnet);
    assert_eq!(first.hotkeys, BTreeSet::from([hk(1), hk(2)]));
    // Only the block moved: nothing to reconcile.
    let same = c.record_snapshot(
        &key(),
        e(),
        snap(2, 10, vec![info(1, 0.0), info(2, 0.0)]),
        t(2),
    );
    assert!(same.is_empty(), "{same:?}");
    // One figure changed, one deregistered, one registered, burn changed.
    let next = c.record_snapshot(
        &key(),
        e(),
        snap(3, 11, vec![info(1, 0.5), info(3, 0.0)]),
        t(3),
    );
    assert!(next.subnet);
    assert_eq!(next.hotkeys, BTreeSet::from([hk(1), hk(2), hk(3)]));
    let state = c.get(&key()).unwrap();
    assert_eq!(state.snapshot.as_ref().unwrap().block, 3);
    assert!(state.reachable);
}

#[test]
fn errors_keep_last_snapshot_and_flip_once() {
    let c = ChainCache::new();
    let first = c.record_error(&key(), 21, "down".into(), t(1));
    assert!(first.subnet, "first answer, even a failure, is news");
    c.record_snapshot(
        &key(),
        "ws://a".into(),
        snap(1, 10, vec![info(1, 0.0)]),
        t(2),
    );
    assert!(c.record_error(&key(), 21, "down".into(), t(3)).subnet);
    assert!(!c.record_error(&key(), 21, "down again".into(), t(4)).subnet);
    let state = c.get(&key()).unwrap();
    assert!(!state.reachable);
    assert_eq!(state.last_error.as_deref(), Some("down again"));
    assert_eq!(state.snapshot.unwrap().block, 1, "last known state kept");
    let back = c.record_snapshot(
        &key(),
        "ws://a".into(),
        snap(5, 10, vec![info(1, 0.0)]),
        t(5),
    );
    assert!(back.subnet && back.hotkeys.is_empty());
    let missing = c.record_missing(&key(), 21, "ws://a".into(), t(6));
    assert!(missing.subnet);
    assert_eq!(missing.hotkeys.len(), 1);
    assert!(c.get(&key()).unwrap().subnet_missing);
    c.remove(&key());
    assert!(c.get(&key()).is_none());
}

#[test]
fn endpoints_pick_the_client_by_scheme() {
    let url = |s: &str| vec![s.to_string()];
    // ws/wss: the subxt client, connected lazily (nothing listens here; no request is made).
    let chain = connect_endpoints(&url("ws://127.0.0.1:9")).expect("ws endpoint");
    assert_eq!(chain.endpoint(), "ws://127.0.0.1:9");
    assert!(connect_endpoints(&url("wss://example.invalid:443")).is_ok());
    for bad in ["http://127.0.0.1:9944", "127.0.0.1:9944", ""] {
        let err = connect_endpoints(&url(bad))
            .err()
            .expect("rejected")
            .to_string();
        assert!(err.contains("ws:// or wss://"), "{bad}: {err}");
    }
    assert!(connect_endpoints(&[]).is_err());
    // A fake endpoint is only understood by test builds.
    let fake = connect_endpoints(&url("fake+http://127.0.0.1:9"));
    assert_eq!(fake.is_ok(), cfg!(feature = "fake-chain"));
}
