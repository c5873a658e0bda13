use super::*;

fn opts() -> PoolOptions {
    PoolOptions::default()
}

/// A healthy endpoint at `head`, answering in `ms`.
fn at(head: u64, ms: u64, now: Instant) -> Health {
    let mut h = Health::default();
    h.succeeded(now, Duration::from_millis(ms), Some(head));
    h
}

fn failed(mut h: Health, trouble: Trouble, times: u32, now: Instant) -> Health {
    for _ in 0..times {
        h.failed(now, trouble, "e".into(), &opts());
    }
    h
}

#[test]
fn errors_are_told_apart_from_chain_verdicts() {
    let table = [
        (
            ChainError::RateLimited("429".into()),
            Some(Trouble::RateLimited),
        ),
        (
            ChainError::Unreachable("x".into()),
            Some(Trouble::Unreachable),
        ),
        (
            ChainError::Timeout(Duration::from_secs(1)),
            Some(Trouble::Unreachable),
        ),
        (
            ChainError::OutcomeUnknown {
                tx_hash: "0x".into(),
                reason: "lost".into(),
            },
            Some(Trouble::Unreachable),
        ),
        (ChainError::Decode("x".into()), Some(Trouble::Failing)),
        (ChainError::Other("x".into()), Some(Trouble::Failing)),
        (ChainError::SubnetNotFound(3), None),
        (ChainError::BurnAboveLimit { burn: 2, limit: 1 }, None),
        (ChainError::Unsupported("x".into()), None),
        (ChainError::ProxyNotAllowed("x".into()), None),
    ];
    for (e, want) in table {
        assert_eq!(trouble_of(&e), want, "{e}");
    }
}

#[test]
fn backoff_doubles_and_caps_per_kind() {
    let o = opts();
    // (trouble, failures, seconds until retry)
    let table = [
        (Trouble::RateLimited, 1, 5),
        (Trouble::RateLimited, 2, 10),
        (Trouble::RateLimited, 3, 20),
        (Trouble::RateLimited, 10, 120),
        (Trouble::Unreachable, 1, 1),
        (Trouble::Unreachable, 3, 4),
        (Trouble::Failing, 40, 30),
    ];
    let now = Instant::now();
    for (trouble, n, secs) in table {
        let h = failed(Health::default(), trouble, n, now);
        assert_eq!(
            h.retry_at,
            Some(now + Duration::from_secs(secs)),
            "{trouble:?} x{n}"
        );
        assert_eq!(h.failures, n);
    }
    assert_eq!(backoff(o.error_backoff, 0), Duration::from_secs(1));
}

#[test]
fn state_by_trouble_then_lag() {
    let o = opts();
    let now = Instant::now();
    // (health, best head, state)
    let table = [
        (Health::default(), None, EndpointState::Unknown),
        (at(100, 5, now), Some(100), EndpointState::Healthy),
        (at(97, 5, now), Some(100), EndpointState::Healthy), // 3 behind: tolerated
        (at(96, 5, now), Some(100), EndpointState::Lagging),
        (at(80, 5, now), Some(100), EndpointState::Lagging),
        (
            failed(at(80, 5, now), Trouble::RateLimited, 1, now),
            Some(100),
            EndpointState::RateLimited,
        ),
        (
            failed(at(100, 5, now), Trouble::Unreachable, 1, now),
            Some(100),
            EndpointState::Unreachable,
        ),
        (
            failed(Health::default(), Trouble::Failing, 1, now),
            None,
            EndpointState::Failing,
        ),
    ];
    for (i, (h, best, want)) in table.into_iter().enumerate() {
        assert_eq!(h.state(best, &o), want, "case {i}");
    }
}

#[test]
fn a_success_clears_the_trouble_but_keeps_the_last_error() {
    let now = Instant::now();
    let mut h = failed(at(10, 100, now), Trouble::RateLimited, 2, now);
    h.succeeded(now, Duration::from_millis(200), None);
    assert_eq!((h.trouble, h.failures, h.retry_at), (None, 0, None));
    assert_eq!(
        h.head,
        Some(10),
        "an answer without a head keeps the last one"
    );
    assert_eq!(h.last_error.as_deref(), Some("e"));
    assert_eq!(
        h.latency,
        Some(Duration::from_millis(130)),
        "70/30 smoothing"
    );
}

#[test]
fn the_choice_prefers_the_endpoint_in_use_then_the_freshest() {
    let o = opts();
    let now = Instant::now();
    let later = now + Duration::from_secs(3);
    let limited = |h| failed(h, Trouble::RateLimited, 1, now);
    let down = |h| failed(h, Trouble::Unreachable, 1, now);
    // (endpoints, in use, when, order)
    type Case = (Vec<Health>, Option<usize>, Instant, Vec<usize>);
    let table: Vec<Case> = vec![
        // freshest first, then faster, then listed first
        (vec![at(98, 5, now), at(100, 5, now)], None, now, vec![1, 0]),
        (
            vec![at(100, 250, now), at(100, 5, now)],
            None,
            now,
            vec![1, 0],
        ),
        (
            vec![at(100, 50, now), at(100, 5, now)],
            None,
            now,
            vec![0, 1],
        ), // same 100 ms step
        (
            vec![at(100, 5, now), at(100, 5, now)],
            None,
            now,
            vec![0, 1],
        ),
        // the one in use stays first while healthy, even a block or two behind
        (
            vec![at(98, 5, now), at(100, 5, now)],
            Some(0),
            now,
            vec![0, 1],
        ),
        // a lagging one is never chosen, in use or not
        (vec![at(80, 5, now), at(100, 5, now)], Some(0), now, vec![1]),
        // nor a rate-limited or unreachable one
        (
            vec![limited(at(100, 5, now)), at(99, 5, now)],
            Some(0),
            now,
            vec![1],
        ),
        (
            vec![down(at(100, 5, now)), at(99, 5, now)],
            None,
            now,
            vec![1],
        ),
        // a lagging one stays out when the fresh one fails: its view is still older
        (
            vec![at(80, 5, now), limited(at(100, 5, now))],
            None,
            now,
            vec![],
        ),
        // ... until it passes the last head seen from the other
        (
            vec![at(97, 5, now), limited(at(100, 5, now))],
            None,
            now,
            vec![0],
        ),
        // not asked yet: only after its head is read
        (vec![Health::default(), at(100, 5, now)], None, now, vec![1]),
        // a pool of one: used whatever its state, unless backing off from a rate limit
        (vec![down(at(100, 5, now))], None, now, vec![0]),
        (vec![Health::default()], None, now, vec![0]),
        (vec![limited(at(100, 5, now))], None, now, vec![]),
        (
            vec![limited(at(100, 5, now))],
            None,
            later + Duration::from_secs(3),
            vec![0],
        ),
    ];
    for (i, (members, current, when, want)) in table.into_iter().enumerate() {
        assert_eq!(choose(&members, current, when, &o), want, "case {i}");
    }
}

#[test]
fn heads_are_read_when_stale_and_not_backing_off() {
    let o = opts();
    let now = Instant::now();
    let soon = now + Duration::from_millis(500);
    let later = now + Duration::from_secs(2);
    let limited = failed(at(100, 5, now), Trouble::RateLimited, 1, now); // retry after 5 s
                                                                         // (endpoints, when, due)
    let table: Vec<(Vec<Health>, Instant, Vec<usize>)> = vec![
        (vec![at(100, 5, now)], later, vec![]), // one endpoint: nothing to compare
        (vec![Health::default(), Health::default()], now, vec![0, 1]),
        (vec![at(100, 5, now), at(90, 5, now)], soon, vec![]),
        (vec![at(100, 5, now), at(90, 5, now)], later, vec![0, 1]),
        (vec![at(100, 5, now), limited.clone()], later, vec![0]),
        (
            vec![at(100, 5, now), limited],
            now + Duration::from_secs(5),
            vec![0, 1],
        ),
    ];
    for (i, (members, when, want)) in table.into_iter().enumerate() {
        assert_eq!(due_for_probe(&members, when, &o), want, "case {i}");
    }
}
