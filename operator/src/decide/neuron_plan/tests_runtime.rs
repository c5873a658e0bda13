//! The plan's axon, health and pod parts, and its conditions and Events.

use super::*;
use crate::decide::pruning::Risk;
use crate::decide::weights::{AgeLimit, LimitSource};

fn axon() -> AxonFacts {
    AxonFacts {
        registered: true,
        want: Ok(Some(("203.0.113.5".parse().unwrap(), 8091))),
        on_chain: None,
        served: None,
        block: 1000,
        rate_limit: 50,
        busy: false,
        refusal: None,
    }
}

#[test]
fn axon_table() {
    let ip: IpAddr = "203.0.113.5".parse().unwrap();
    let other: IpAddr = "203.0.113.9".parse().unwrap();
    type Edit = fn(&mut AxonFacts, IpAddr, IpAddr);
    let cases: Vec<(&str, Edit, bool, (bool, &str))> = vec![
        (
            "serves a new address",
            |_, _, _| {},
            true,
            (false, "Serving"),
        ),
        (
            "already on chain",
            |f, ip, _| f.on_chain = Some((ip, 8091, 10)),
            false,
            (true, "Served"),
        ),
        (
            "served by us, snapshot behind",
            |f, ip, _| f.served = Some((ip, 8091, 990)),
            false,
            (true, "Served"),
        ),
        (
            "rate limited after the chain's last serve",
            |f, _, other| f.on_chain = Some((other, 8091, 980)),
            false,
            (false, "RateLimited"),
        ),
        (
            "rate limit over",
            |f, _, other| f.on_chain = Some((other, 8091, 900)),
            true,
            (false, "Serving"),
        ),
        ("busy", |f, _, _| f.busy = true, false, (false, "Serving")),
        (
            "address unknown",
            |f, _, _| f.want = Ok(None),
            false,
            (false, "AddressUnknown"),
        ),
        (
            "unusable address",
            |f, _, _| f.want = Err("127.0.0.1 is refused".into()),
            false,
            (false, "InvalidAddress"),
        ),
        (
            "not registered",
            |f, _, _| f.registered = false,
            false,
            (false, "NotRegistered"),
        ),
    ];
    for (name, edit, wants, (status, why)) in cases {
        let mut f = axon();
        edit(&mut f, ip, other);
        let mut i = registered(input());
        i.axon = Some(f);
        let p = plan(&i);
        let c = cond(&p, types::AXON_SERVED).expect(name);
        assert_eq!((c.status, c.reason.as_str()), (status, why), "{name}");
        let served = p.actions.contains(&Wanted::Serve { ip, port: 8091 });
        assert_eq!(served, wants, "{name}");
    }
}

/// Weights set `age` blocks before the snapshot, under a limit set on the Neuron.
fn weights(age: u64, max: u64) -> WeightAge {
    WeightAge {
        block: 10_000,
        last_update: 10_000 - age,
        limit: AgeLimit {
            blocks: max,
            source: LimitSource::Spec,
        },
        reveals_since: None,
        reveal_delay: 0,
        mechanisms: 1,
        oldest_mechanism: 0,
    }
}

#[test]
fn health_restarts_once_and_respects_the_guard() {
    let stale = weights(2000, 1000);
    let unhealthy = GpuVerdict::Unhealthy {
        health: GpuHealth::default(),
        node: "n1".into(),
        message: "node n1 reports unhealthy GPUs".into(),
        restart: true,
    };
    let mut i = registered(input());
    i.health.weights = Some(stale);
    i.health.gpu = Some(unhealthy.clone());
    let p = plan(&i);
    // Both troubles show; one restart (the weights', first) is wanted.
    assert_eq!(
        p.restart.as_ref().map(|r| r.reason),
        Some(RestartReason::WeightsStale)
    );
    let w = cond(&p, types::WEIGHTS_FRESH).unwrap();
    assert!(!w.status && w.message.ends_with("pod restarted"), "{w:?}");
    assert!(cond(&p, types::GPU_UNHEALTHY).unwrap().status);

    // Within the backoff after a restart 2 minutes ago: none, look again at its end.
    let mut i = registered(input());
    i.health.gpu = Some(unhealthy.clone());
    i.health.recent_restarts = vec![now() - SignedDuration::from_mins(2)];
    let p = plan(&i);
    assert_eq!(p.restart, None);
    assert_eq!(p.requeue, Some(Duration::from_secs(180)));
    assert!(cond(&p, types::GPU_UNHEALTHY)
        .unwrap()
        .message
        .contains("next restart not before"));

    // Fresh weights, healthy GPUs; stale without a pod restarts nothing.
    let mut i = registered(input());
    i.health.weights = Some(weights(10, 1000));
    i.health.gpu = Some(GpuVerdict::Healthy(GpuHealth::default()));
    let p = plan(&i);
    assert_eq!(
        reason(&p, types::WEIGHTS_FRESH).as_deref(),
        Some("WeightsFresh")
    );
    assert_eq!(
        reason(&p, types::GPU_UNHEALTHY).as_deref(),
        Some("GpusHealthy")
    );
    assert_eq!(p.restart, None);
    let mut i = registered(input());
    i.pod = None;
    i.health.weights = Some(stale);
    let p = plan(&i);
    assert_eq!(p.restart, None);
    assert!(cond(&p, types::WEIGHTS_FRESH)
        .unwrap()
        .message
        .ends_with("no pod to restart"));

    // No verdict (pod on no node yet): the previous GpuUnhealthy stays.
    let before = CondSpec::new(types::GPU_UNHEALTHY, true, "NodeGpuUnhealthy", "m");
    let mut i = registered(input());
    i.health.gpu_before = Some(before.clone());
    assert_eq!(cond(&plan(&i), types::GPU_UNHEALTHY), Some(&before));
}

#[test]
fn pod_trouble_replaces_pod_ready() {
    let mut i = registered(input());
    i.pod = pod(false);
    i.pod_trouble = Some(CondSpec::new(
        types::POD_READY,
        false,
        "CrashLoopBackOff",
        "container neuron keeps crashing",
    ));
    let p = plan(&i);
    let ready: Vec<&CondSpec> = p
        .conditions
        .iter()
        .filter(|c| c.type_ == types::POD_READY)
        .collect();
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].reason, "CrashLoopBackOff");
}

#[test]
fn plan_only_sets_its_own_condition_types() {
    let mut i = registered(input());
    i.stake = Some(stake(Some(TAO)));
    i.axon = Some(axon());
    i.health.weights = Some(weights(1, 10));
    for c in plan(&i).conditions {
        assert!(PLANNED_CONDITIONS.contains(&c.type_), "{}", c.type_);
    }
}

#[test]
fn warnings_once_per_reason() {
    let mut i = input();
    i.register.chain.as_mut().unwrap().burn_rao = 2 * TAO;
    let p = plan(&i);
    let first = warnings(&[], &p);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].reason, "BurnAboveCap");
    // Already shown with the same reason (a different burn in the message): no new Event.
    let t = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now());
    let shown = crate::api::merge_conditions(&[], &p.conditions, Some(1), &t);
    i.register.chain.as_mut().unwrap().burn_rao = 3 * TAO;
    assert!(warnings(&shown, &plan(&i)).is_empty());
    // A healthy plan warns of nothing.
    assert!(warnings(&[], &plan(&registered(input()))).is_empty());
}

#[test]
fn weights_messages_do_not_move_with_the_block() {
    let mut i = registered(input());
    i.health.weights = Some(weights(10, 1000));
    let a = cond(&plan(&i), types::WEIGHTS_FRESH).unwrap().clone();
    i.health.weights = Some(WeightAge {
        block: 10_200,
        ..weights(10, 1000)
    });
    let b = cond(&plan(&i), types::WEIGHTS_FRESH).unwrap().clone();
    assert_eq!(a, b, "200 blocks later, same weights: same condition");
    assert_eq!(
        a.message,
        "weights set at block 9990, stale from block 10991 (maxWeightAgeBlocks 1000)"
    );
}

#[test]
fn a_validator_gpu_restart_waits_for_its_window() {
    let unhealthy = GpuVerdict::Unhealthy {
        health: GpuHealth::default(),
        node: "n1".into(),
        message: "node n1 reports unhealthy GPUs".into(),
        restart: true,
    };
    let window = |age_blocks, waited_mins| RestartWindow {
        age_blocks,
        blocks: 100,
        since: now() - SignedDuration::from_mins(waited_mins),
        bound: Duration::from_secs(3600),
    };
    // (blocks since its last weight set, minutes waited) → restart now?
    let cases = [
        (5, 0, true),
        (100, 0, true),
        (250, 0, false),
        (250, 59, false),
        (250, 60, true),
    ];
    for (age, waited, restarts) in cases {
        let mut i = registered(input());
        i.health.gpu = Some(unhealthy.clone());
        i.health.window = Some(window(age, waited));
        let p = plan(&i);
        assert_eq!(
            p.restart.is_some(),
            restarts,
            "age {age}, waited {waited} min"
        );
        if !restarts {
            let c = cond(&p, types::GPU_UNHEALTHY).unwrap();
            assert!(
                c.message
                    .contains("waits for the validator's next weight set"),
                "{c:?}"
            );
            let left = Duration::from_secs(60 * (60 - waited as u64));
            assert_eq!(p.requeue, Some(left), "looks again when the wait ends");
        }
    }
    // Stale weights are the trouble itself: no waiting for a weight set that does not come.
    let mut i = registered(input());
    i.health.weights = Some(weights(2000, 1000));
    i.health.window = Some(window(2000, 0));
    assert_eq!(
        plan(&i).restart.map(|r| r.reason),
        Some(RestartReason::WeightsStale)
    );
}

#[test]
fn at_risk_shows_for_registered_neurons_and_warns_once() {
    let risky = Risk::AtRisk {
        position: 0,
        among: 1,
        candidates: 12,
    };
    let mut i = registered(input());
    i.risk = Some(risky.clone());
    let p = plan(&i);
    let c = cond(&p, types::AT_RISK).unwrap();
    assert!(c.status && c.reason == "LowestEmission", "{c:?}");
    let warned = warnings(&[], &p);
    assert_eq!(warned.len(), 1, "{warned:?}");
    let t = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now());
    let shown = crate::api::merge_conditions(&[], &p.conditions, Some(1), &t);
    assert!(warnings(&shown, &plan(&i)).is_empty(), "once");
    // Immune until now, not any more: the Normal Event.
    let mut immune = registered(input());
    immune.risk = Some(Risk::Immune { until_block: 50 });
    let before = crate::api::merge_conditions(&[], &plan(&immune).conditions, Some(1), &t);
    let n = notices(&before, &p);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].0, "ImmunityEnded");
    // Not registered: no AtRisk at all.
    let mut i = input();
    i.risk = Some(risky);
    assert_eq!(cond(&plan(&i), types::AT_RISK), None);
}

#[test]
fn commits_without_reveals_are_stale_after_the_reveal_delay() {
    // Commits land (last at 9990), the weights row unchanged since 9000; limit 500, reveal
    // delay 200: stale from 9000 + 500 + 200 + 1 = 9701 (the snapshot is at 10,000).
    let w = WeightAge {
        reveals_since: Some(9000),
        reveal_delay: 200,
        ..weights(10, 500)
    };
    let mut i = registered(input());
    i.health.weights = Some(w);
    let p = plan(&i);
    let c = cond(&p, types::WEIGHTS_FRESH).unwrap();
    assert_eq!(
        (c.status, c.reason.as_str()),
        (false, "RevealsMissing"),
        "{c:?}"
    );
    assert!(c.message.starts_with("weights committed at block 9990 but no reveal has changed them since block 9000: stale since block 9701"), "{}", c.message);
    assert_eq!(
        p.restart.map(|r| r.reason),
        Some(RestartReason::RevealsMissing)
    );
    // A reveal 300 blocks ago: fresh.
    i.health.weights = Some(WeightAge {
        reveals_since: Some(9700),
        ..w
    });
    let p = plan(&i);
    assert_eq!(
        reason(&p, types::WEIGHTS_FRESH).as_deref(),
        Some("WeightsFresh")
    );
    assert_eq!(p.restart, None);
}
