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
        validator_trust: None,
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
        pool: None,
        stakes: Vec::new(),
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
    // One figure changed, one deregistered, one registered, burn changed: the burn alone is
    // no Subnet-level change (it moves every block since spec 397).
    let next = c.record_snapshot(
        &key(),
        e(),
        snap(3, 11, vec![info(1, 0.5), info(3, 0.0)]),
        t(3),
    );
    assert!(!next.subnet && next.burn, "{next:?}");
    assert_eq!(next.hotkeys, BTreeSet::from([hk(1), hk(2), hk(3)]));
    let state = c.get(&key()).unwrap();
    assert_eq!(state.snapshot.as_ref().unwrap().block, 3);
    assert!(state.reachable);
    // Another parameter is.
    let mut tempo = snap(4, 11, vec![info(1, 0.5), info(3, 0.0)]);
    tempo.params.tempo = 99;
    let change = c.record_snapshot(&key(), e(), tempo.clone(), t(4));
    assert!(
        change.subnet && !change.burn && change.hotkeys.is_empty(),
        "{change:?}"
    );
    // An own stake that moved reaches its hotkey.
    let own = |alpha| crate::chain::OwnStake {
        hotkey: hk(3),
        coldkey: hk(9),
        alpha,
    };
    let with_stake = SubnetSnapshot {
        stakes: vec![own(5)],
        ..tempo.clone()
    };
    let change = c.record_snapshot(&key(), e(), with_stake.clone(), t(5));
    assert_eq!(change.hotkeys, BTreeSet::from([hk(3)]));
    assert!(c.record_snapshot(&key(), e(), with_stake, t(6)).is_empty());
    let moved = SubnetSnapshot {
        stakes: vec![own(6)],
        ..tempo
    };
    assert_eq!(
        c.record_snapshot(&key(), e(), moved, t(7)).hotkeys,
        BTreeSet::from([hk(3)])
    );
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
fn endpoint_kinds() {
    use super::{endpoint_kind, EndpointKind};
    let cases = [
        ("fake+http://127.0.0.1:1", EndpointKind::Fake),
        ("ws://127.0.0.1:9944", EndpointKind::Substrate),
        (
            "wss://entrypoint-finney.opentensor.ai:443",
            EndpointKind::Substrate,
        ),
        ("http://x", EndpointKind::Unknown),
    ];
    for (url, want) in cases {
        assert_eq!(endpoint_kind(url), want, "{url}");
    }
}

#[test]
fn connect_errors_are_clear() {
    let err = |urls: &[&str]| {
        let urls: Vec<String> = urls.iter().map(|s| s.to_string()).collect();
        match super::connect_endpoints(&urls) {
            Ok(_) => String::from("connected"),
            Err(e) => e.to_string(),
        }
    };
    assert!(err(&[]).contains("no chain endpoint"));
    // The subxt client connects lazily: nothing listens here and no request is made.
    assert_eq!(err(&["ws://127.0.0.1:9"]), "connected");
    assert!(err(&["http://x"]).contains("unsupported chain endpoint"));
    let fake = err(&["fake+http://127.0.0.1:1"]);
    if cfg!(feature = "fake-chain") {
        assert_eq!(fake, "connected");
    } else {
        assert!(fake.contains("fake-chain feature"), "{fake}");
    }
}
