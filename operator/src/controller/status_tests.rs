use super::*;
use crate::api::{types, NeuronPhase};
use crate::chain::AccountId;

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn status(block: u64, incentive: f64) -> NeuronStatus {
    NeuronStatus {
        phase: NeuronPhase::Running,
        chain: Some(NeuronChainStatus {
            block,
            blocks_since_last_update: block - 10,
            incentive,
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn neuron_writes_only_on_material_change_or_stale_block() {
    let now = ts("2026-01-01T00:10:00Z");
    let recent = Some("2026-01-01T00:09:00Z");
    let stale = Some("2026-01-01T00:00:00Z");
    let cases = [
        (Some(status(100, 0.1)), status(100, 0.1), recent, false),
        (Some(status(100, 0.1)), status(101, 0.1), recent, false),
        (Some(status(100, 0.1)), status(101, 0.1), stale, true),
        (Some(status(100, 0.1)), status(100, 0.1), stale, false),
        (Some(status(100, 0.1)), status(101, 0.2), recent, true),
        (None, status(100, 0.1), recent, true),
    ];
    for (i, (old, new, last, want)) in cases.into_iter().enumerate() {
        assert_eq!(
            neuron_status_changed(old.as_ref(), &new, last, now),
            want,
            "case {i}"
        );
    }
}

#[test]
fn subnet_writes_only_on_material_change_or_stale_block() {
    let now = ts("2026-01-01T00:10:00Z");
    let s = |block, at: &str, burn| SubnetStatus {
        block: Some(block),
        last_polled_at: Some(at.into()),
        burn_rao: Some(burn),
        ..Default::default()
    };
    let cases = [
        (
            s(1, "2026-01-01T00:09:00Z", 5),
            s(2, "2026-01-01T00:10:00Z", 5),
            false,
        ),
        (
            s(1, "2026-01-01T00:00:00Z", 5),
            s(2, "2026-01-01T00:10:00Z", 5),
            true,
        ),
        // The burn moves every block since spec 397: refreshed with the block, not alone.
        (
            s(1, "2026-01-01T00:09:00Z", 5),
            s(2, "2026-01-01T00:10:00Z", 6),
            false,
        ),
        (
            s(1, "2026-01-01T00:00:00Z", 5),
            s(2, "2026-01-01T00:10:00Z", 6),
            true,
        ),
        (
            s(1, "2026-01-01T00:09:00Z", 5),
            SubnetStatus {
                tempo: Some(720),
                ..s(2, "2026-01-01T00:10:00Z", 5)
            },
            true,
        ),
        // A hyperparameter change (its value and history entry) is written at once.
        (
            s(1, "2026-01-01T00:09:00Z", 5),
            SubnetStatus {
                weights_version: Some(2),
                ..s(2, "2026-01-01T00:10:00Z", 5)
            },
            true,
        ),
        (
            s(1, "2026-01-01T00:09:00Z", 5),
            SubnetStatus {
                history: vec![crate::api::HyperparameterChange::default()],
                ..s(2, "2026-01-01T00:10:00Z", 5)
            },
            true,
        ),
    ];
    for (i, (old, new, want)) in cases.into_iter().enumerate() {
        assert_eq!(
            subnet_status_changed(Some(&old), &new, now),
            want,
            "case {i}"
        );
    }
}

#[test]
fn subnet_endpoints_are_written_on_state_changes_their_figures_with_the_block() {
    use crate::api::{EndpointHealth, EndpointStatus};
    let now = ts("2026-01-01T00:10:00Z");
    let ep = |state, head, error: &str| EndpointStatus {
        url: "wss://a".into(),
        state,
        head_block: Some(head),
        latency_ms: Some(head / 10),
        last_error: (!error.is_empty()).then(|| error.into()),
        last_transition_time: Some("2026-01-01T00:00:00Z".into()),
    };
    let s = |at: &str, endpoints| SubnetStatus {
        block: Some(1),
        last_polled_at: Some(at.into()),
        endpoints,
        ..Default::default()
    };
    let recent = "2026-01-01T00:09:00Z";
    let stale = "2026-01-01T00:00:00Z";
    let healthy = ep(EndpointHealth::Healthy, 100, "");
    // (previous, new, written)
    let cases = [
        (
            s(recent, vec![healthy.clone()]),
            vec![ep(EndpointHealth::Healthy, 120, "")],
            false,
        ),
        (
            s(stale, vec![healthy.clone()]),
            vec![ep(EndpointHealth::Healthy, 120, "")],
            true,
        ),
        (
            s(recent, vec![ep(EndpointHealth::Unreachable, 100, "e1")]),
            vec![ep(EndpointHealth::Unreachable, 100, "e2")],
            false,
        ),
        (
            s(recent, vec![healthy.clone()]),
            vec![ep(EndpointHealth::RateLimited, 100, "429")],
            true,
        ),
        (
            s(recent, vec![healthy.clone()]),
            vec![healthy.clone(), healthy.clone()],
            true,
        ),
        (s(recent, vec![healthy.clone()]), vec![], true),
    ];
    for (i, (old, endpoints, want)) in cases.into_iter().enumerate() {
        let new = s(recent, endpoints);
        assert_eq!(
            subnet_status_changed(Some(&old), &new, now),
            want,
            "case {i}"
        );
    }
}

#[test]
fn conditions_keep_foreign_types_and_times() {
    let t0 = Time("2026-01-01T00:00:00Z".parse().unwrap());
    let t1 = Time("2026-01-02T00:00:00Z".parse().unwrap());
    let old = merge_conditions(
        &[],
        &[
            CondSpec::new(types::READY, true, "Running", ""),
            CondSpec::new("SomeoneElses", true, "Theirs", ""),
            CondSpec::new(types::HOTKEY_CONFLICT, true, "HotkeyConflict", ""),
        ],
        Some(1),
        &t0,
    );
    let next = neuron_conditions(
        &old,
        &[CondSpec::new(types::READY, true, "Running", "")],
        Some(2),
        &t1,
    );
    let types_: Vec<_> = next.iter().map(|c| c.type_.as_str()).collect();
    // HotkeyConflict is the plan's: absent from it, it goes; the foreign type stays.
    assert_eq!(types_, [types::READY, "SomeoneElses"]);
    assert_eq!(next[0].last_transition_time, t0);
}

#[test]
fn chain_figures_and_pod_summary() {
    let info = NeuronInfo {
        uid: 3,
        hotkey: AccountId([1; 32]),
        coldkey: AccountId([2; 32]),
        active: true,
        axon: Some(crate::chain::AxonInfo {
            block: 1,
            ip: "203.0.113.7".parse().unwrap(),
            port: 30891,
            version: 1,
        }),
        stake: 1_500_000_000,
        rank: 0.1,
        trust: 0.2,
        consensus: 0.3,
        incentive: 0.4,
        dividends: 0.5,
        validator_trust: None,
        emission: 99,
        last_update: 90,
        validator_permit: true,
        registered_at_block: 5,
    };
    let pool = crate::chain::Pool {
        tao_in: 0,
        alpha_in: 0,
        price_rao: 2_000_000_000,
    };
    // 1.5 alpha in all, 0.75 our own, at 2 TAO per alpha.
    let c = chain_status(&info, 100, info.stake / 2, Some(&pool));
    assert_eq!(
        (
            c.stake_tao.as_str(),
            c.own_stake_rao,
            c.own_stake_tao.as_str(),
            c.alpha_price.as_deref(),
            c.blocks_since_last_update,
            c.emission_rao
        ),
        ("3", 750_000_000, "1.5", Some("2"), 10, 99)
    );
    // Without a price the TAO values are unknown, not the alpha amounts.
    let c = chain_status(&info, 100, 0, None);
    assert_eq!((c.stake_tao.as_str(), c.alpha_price), ("", None));
    assert_eq!(
        c.axon,
        Some(AxonEndpoint {
            ip: "203.0.113.7".into(),
            port: 30891
        })
    );
    let pod: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "m-0"},
        "spec": {"nodeName": "gpu-1", "containers": []},
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "neuron", "restartCount": 2, "ready": true, "image": "i", "imageID": ""}]
        }
    }))
    .unwrap();
    let p = pod_summary(&pod);
    assert_eq!(
        (p.name.as_str(), p.ready, p.restarts, p.node.as_deref()),
        ("m-0", true, 2, Some("gpu-1"))
    );
}

#[test]
fn subnet_tallies_alone_are_written_at_most_every_two_seconds() {
    use crate::api::{NeuronCounts, SubnetStatus};
    let stored = SubnetStatus {
        block: Some(100),
        neurons: Some(NeuronCounts::new(10, 0, 0)),
        spent_rao_last24h: Some(0),
        ..Default::default()
    };
    let counts = |total| SubnetStatus {
        neurons: Some(NeuronCounts::new(total, 0, 0)),
        ..stored.clone()
    };
    let spent = SubnetStatus {
        spent_rao_last24h: Some(5),
        ..stored.clone()
    };
    // The block moves with every poll; alone with the tallies it waits too (it is refreshed
    // on its own schedule, `subnet_status_changed`).
    let moved = SubnetStatus {
        block: Some(101),
        ..counts(11)
    };
    let other = SubnetStatus {
        subnetwork_n: Some(5),
        ..counts(11)
    };
    let t = ts("2026-12-01T00:00:10Z");
    let ago = |ms: i64| Some(t - jiff::SignedDuration::from_millis(ms));
    let secs = std::time::Duration::from_millis;
    // (new status, last write, wait)
    let cases = [
        (counts(11), ago(500), Some(secs(1500))),
        (spent.clone(), ago(1999), Some(secs(1))),
        (counts(11), ago(2000), None),
        (counts(11), None, None),
        (moved, ago(500), Some(secs(1500))),
        // anything else in it: at once
        (other, ago(500), None),
    ];
    for (new, last, want) in cases {
        assert_eq!(
            tally_wait(Some(&stored), &new, last, t),
            want,
            "{new:?} {last:?}"
        );
    }
    assert_eq!(tally_wait(None, &spent, ago(1), t), None, "no status yet");
}
