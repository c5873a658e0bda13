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
        weights: Vec::new(),
        mechanism_last_update: Vec::new(),
    }
}

fn t(s: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(s).unwrap()
}

/// Records a snapshot that must be accepted.
fn rec(c: &ChainCache, endpoint: String, s: SubnetSnapshot, at: jiff::Timestamp) -> Change {
    c.record_snapshot(&key(), endpoint, s, at)
        .expect("not older than the view")
}

#[test]
fn changes_between_snapshots() {
    let c = ChainCache::new();
    let e = || "ws://a".to_string();
    let hk = |b: u8| AccountId([b; 32]);
    let first = rec(&c, e(), snap(1, 10, vec![info(1, 0.0), info(2, 0.0)]), t(1));
    assert!(first.subnet);
    assert_eq!(first.hotkeys, BTreeSet::from([hk(1), hk(2)]));
    // Only the block moved: nothing changed but the span, for deadlines.
    let same = rec(&c, e(), snap(2, 10, vec![info(1, 0.0), info(2, 0.0)]), t(2));
    let span_only = Change {
        span: Some((1, 2)),
        ..Change::default()
    };
    assert_eq!(same, span_only);
    // One figure changed, one deregistered, one registered, burn changed: the burn alone is
    // no Subnet-level change (it moves every block since spec 397).
    let next = rec(&c, e(), snap(3, 11, vec![info(1, 0.5), info(3, 0.0)]), t(3));
    assert!(!next.subnet && next.burn, "{next:?}");
    assert_eq!(next.hotkeys, BTreeSet::from([hk(1), hk(2), hk(3)]));
    let state = c.get(&key()).unwrap();
    assert_eq!(state.snapshot.as_ref().unwrap().block, 3);
    assert!(state.reachable);
    // Another parameter is.
    let mut tempo = snap(4, 11, vec![info(1, 0.5), info(3, 0.0)]);
    tempo.params.tempo = 99;
    let change = rec(&c, e(), tempo.clone(), t(4));
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
    let change = rec(&c, e(), with_stake.clone(), t(5));
    assert_eq!(change.hotkeys, BTreeSet::from([hk(3)]));
    assert!(rec(&c, e(), with_stake, t(6)).is_empty());
    let moved = SubnetSnapshot {
        stakes: vec![own(6)],
        ..tempo
    };
    assert_eq!(rec(&c, e(), moved, t(7)).hotkeys, BTreeSet::from([hk(3)]));
}

#[test]
fn errors_keep_last_snapshot_and_flip_once() {
    let c = ChainCache::new();
    let first = c.record_error(&key(), 21, "down".into(), t(1));
    assert!(first.subnet, "first answer, even a failure, is news");
    rec(&c, "ws://a".into(), snap(1, 10, vec![info(1, 0.0)]), t(2));
    assert!(c.record_error(&key(), 21, "down".into(), t(3)).subnet);
    assert!(!c.record_error(&key(), 21, "down again".into(), t(4)).subnet);
    let state = c.get(&key()).unwrap();
    assert!(!state.reachable);
    assert_eq!(state.last_error.as_deref(), Some("down again"));
    assert_eq!(state.snapshot.unwrap().block, 1, "last known state kept");
    let back = rec(&c, "ws://a".into(), snap(5, 10, vec![info(1, 0.0)]), t(5));
    assert!(back.subnet && back.hotkeys.is_empty());
    let missing = c.record_missing(&key(), 21, "ws://a".into(), t(6));
    assert!(missing.subnet);
    assert_eq!(missing.hotkeys.len(), 1);
    assert!(c.get(&key()).unwrap().subnet_missing);
    c.remove(&key());
    assert!(c.get(&key()).is_none());
}

#[test]
fn an_older_snapshot_is_discarded_from_any_endpoint_whatever_came_between() {
    let c = ChainCache::new();
    let (fresh, lagging) = (|| "ws://fresh".to_string(), || "ws://lagging".to_string());
    let registered = vec![info(1, 0.0)];
    rec(&c, fresh(), snap(120, 10, registered.clone()), t(1));
    // (what came in between the view and the older snapshot, how it is recorded)
    type Between = (&'static str, fn(&ChainCache));
    let between: [Between; 3] = [
        ("nothing", |_| {}),
        ("an error", |c| {
            c.record_error(&key(), 21, "down".into(), t(2));
        }),
        ("subnet missing", |c| {
            c.record_missing(&key(), 21, "ws://fresh".into(), t(2));
        }),
    ];
    for (what, f) in between {
        f(&c);
        let before = c.get(&key()).unwrap();
        // The older view, in which uid 1 is not registered yet.
        let old = c.record_snapshot(&key(), lagging(), snap(100, 10, vec![]), t(3));
        assert_eq!(
            old,
            Err(Stale {
                block: 100,
                seen: 120
            }),
            "after {what}"
        );
        let after = c.get(&key()).unwrap();
        assert_eq!(
            after.snapshot, before.snapshot,
            "after {what}: view unchanged"
        );
        assert_eq!(after.endpoint, before.endpoint, "after {what}");
        assert_eq!(after.polled_at, before.polled_at, "after {what}");
        // The same endpoint's older views, and the fresh endpoint's too.
        assert!(c
            .record_snapshot(&key(), fresh(), snap(119, 10, vec![]), t(3))
            .is_err());
    }
    assert_eq!(
        c.get(&key()).unwrap().stale_logged,
        BTreeSet::from([lagging(), fresh()]),
        "logged once per endpoint"
    );
    // At the block seen or later it is the view again, and may be logged again later.
    let caught_up = rec(&c, lagging(), snap(120, 10, registered), t(4));
    assert!(caught_up.subnet, "back from missing, another endpoint");
    let state = c.get(&key()).unwrap();
    assert_eq!(state.endpoint, Some(lagging()));
    assert_eq!(state.seen_block, Some(120));
    assert_eq!(state.stale_logged, BTreeSet::from([fresh()]));
}

#[test]
fn endpoint_state_changes_are_changes_figures_are_not() {
    use crate::chain::pool::{EndpointReport, EndpointState};
    let c = ChainCache::new();
    let report = |state, head| EndpointReport {
        url: "ws://a".into(),
        state,
        head: Some(head),
        latency_ms: Some(head),
        last_error: None,
        since: t(1),
    };
    // (reports, changed)
    let table = [
        (vec![report(EndpointState::Healthy, 1)], true),
        (vec![report(EndpointState::Healthy, 2)], false),
        (vec![report(EndpointState::RateLimited, 2)], true),
        (
            vec![
                report(EndpointState::RateLimited, 2),
                report(EndpointState::Unknown, 0),
            ],
            true,
        ),
    ];
    for (i, (reports, want)) in table.into_iter().enumerate() {
        assert_eq!(
            c.record_endpoints(&key(), reports.clone()),
            want,
            "case {i}"
        );
        assert_eq!(c.get(&key()).unwrap().endpoints, reports);
    }
    let only_endpoints = Change {
        endpoints: true,
        ..Change::default()
    };
    assert!(!only_endpoints.is_empty());
}

#[test]
fn a_weights_row_is_tracked_from_the_block_it_was_first_seen_with() {
    use crate::chain::WeightsRow;
    let c = ChainCache::new();
    let e = || "ws://a".to_string();
    let with_row = |block, row: &[u8]| SubnetSnapshot {
        weights: vec![WeightsRow::from_scale(1, Some(row))],
        ..snap(block, 10, vec![info(1, 0.0)])
    };
    let since = |c: &ChainCache| c.get(&key()).unwrap().weights_since.get(&1).map(|w| w.1);
    rec(&c, e(), with_row(10, &[4, 1, 0, 255, 255]), t(1));
    assert_eq!(since(&c), Some(10), "first sight");
    // The same row later: nothing changed, the block it was first seen with stays.
    let same = rec(&c, e(), with_row(20, &[4, 1, 0, 255, 255]), t(2));
    assert!(same.hotkeys.is_empty(), "{same:?}");
    assert_eq!(since(&c), Some(10));
    // A reveal wrote another row: tracked from now, and its validator is due a look.
    let revealed = rec(&c, e(), with_row(30, &[4, 2, 0, 255, 255]), t(3));
    assert_eq!(revealed.hotkeys, BTreeSet::from([AccountId([1; 32])]));
    assert_eq!(since(&c), Some(30));
    // No longer asked for: forgotten.
    rec(&c, e(), snap(40, 10, vec![info(1, 0.0)]), t(4));
    assert_eq!(since(&c), None);
    let empty = WeightsRow::from_scale(3, None);
    assert_eq!(
        (empty.entries, WeightsRow::from_scale(3, Some(&[0])).digest),
        (0, empty.digest)
    );
    assert_eq!(
        WeightsRow::from_scale(3, Some(&[4, 1, 0, 255, 255])).entries,
        1
    );
}
