use super::*;
use crate::decide::gpu::{GpuHealth, GpuVerdict};
use crate::decide::registration::ChainView;
use crate::decide::restart::RestartReason;
use jiff::SignedDuration;

const TAO: u64 = 1_000_000_000;

fn now() -> Timestamp {
    "2026-12-01T12:00:00Z".parse().unwrap()
}

fn caps() -> RegisterCaps {
    RegisterCaps {
        cap_rao: TAO,
        subnet_budget_rao: None,
        set_budget_rao: None,
    }
}

fn pod(ready: bool) -> Option<PodStatusSummary> {
    Some(PodStatusSummary {
        name: "n-0".into(),
        ready,
        ..Default::default()
    })
}

/// An unregistered miner with a coldkey, burn 0.1 TAO under a 1 TAO cap.
fn input() -> PlanInput {
    PlanInput {
        now: now(),
        blocker: None,
        suspended: false,
        external_registration: false,
        chain: ChainFacts::Polled { uid: None },
        previously_registered: false,
        pod: None,
        pod_trouble: None,
        register: RegisterFacts {
            has_coldkey: true,
            reregister: true,
            caps: Some(Ok(caps())),
            chain: Some(ChainView {
                uid: None,
                burn_rao: TAO / 10,
                registration_allowed: true,
            }),
            ..Default::default()
        },
        stake: None,
        axon: None,
        health: HealthFacts {
            max_restarts_per_hour: 3,
            ..Default::default()
        },
    }
}

fn registered(mut i: PlanInput) -> PlanInput {
    i.chain = ChainFacts::Polled { uid: Some(7) };
    i.register.chain.as_mut().unwrap().uid = Some(7);
    i.pod = pod(true);
    i
}

fn refused(reason: &str, secs: i64) -> Option<Refused> {
    Some(Refused {
        reason: reason.into(),
        message: format!("{reason} message"),
        retry_at: now() + SignedDuration::from_secs(secs),
    })
}

fn cond<'a>(p: &'a NeuronPlan, type_: &str) -> Option<&'a CondSpec> {
    p.conditions.iter().find(|c| c.type_ == type_)
}

fn reason(p: &NeuronPlan, type_: &str) -> Option<String> {
    cond(p, type_).map(|c| c.reason.clone())
}

#[test]
fn registration_table() {
    type Edit = fn(&mut PlanInput);
    // (name, edit, actions wanted, RegistrationBlocked reason, phase)
    let cases: Vec<(&str, Edit, bool, Option<&str>, NeuronPhase)> = vec![
        (
            "wants to register",
            |_| {},
            true,
            None,
            NeuronPhase::Pending,
        ),
        (
            "in flight: nothing new, Registering",
            |i| i.register.in_flight = true,
            false,
            None,
            NeuronPhase::Registering,
        ),
        (
            "burn above cap",
            |i| i.register.chain.as_mut().unwrap().burn_rao = 2 * TAO,
            false,
            Some("BurnAboveCap"),
            NeuronPhase::Pending,
        ),
        (
            "budget left below the burn",
            |i| i.register.budget_left_rao = Some(TAO / 20),
            false,
            Some("BudgetExhausted"),
            NeuronPhase::Pending,
        ),
        (
            "a refusal in force is shown, not asked again",
            |i| i.register.refusal = refused("InsufficientBalance", 30),
            false,
            Some("InsufficientBalance"),
            NeuronPhase::Pending,
        ),
        (
            "an expired refusal asks again",
            |i| i.register.refusal = refused("InsufficientBalance", -1),
            true,
            None,
            NeuronPhase::Pending,
        ),
        (
            "unreadable caps",
            |i| i.register.caps = Some(Err("maxBurnTao: bad".into())),
            false,
            Some("InvalidSpec"),
            NeuronPhase::Pending,
        ),
        (
            "external mode never spends",
            |i| {
                i.register.mode = crate::api::RegistrationMode::External;
                i.external_registration = true;
            },
            false,
            None,
            NeuronPhase::Pending,
        ),
        (
            "blocked Neuron: no action at all",
            |i| i.blocker = Some(Blocker::SubnetNotFound("x".into())),
            false,
            None,
            NeuronPhase::Pending,
        ),
        (
            "deregistered without reregister",
            |i| {
                i.register.reregister = false;
                i.register.was_registered = true;
                i.previously_registered = true;
            },
            false,
            Some("ReregisterDisabled"),
            NeuronPhase::Deregistered,
        ),
    ];
    for (name, edit, wants, blocked, phase) in cases {
        let mut i = input();
        edit(&mut i);
        let p = plan(&i);
        assert_eq!(
            p.actions.iter().any(|a| matches!(a, Wanted::Register(_))),
            wants,
            "{name}"
        );
        assert_eq!(
            reason(&p, types::REGISTRATION_BLOCKED).as_deref(),
            blocked,
            "{name}"
        );
        assert_eq!(p.phase, phase, "{name}");
        assert_eq!(p.replicas, 0, "{name}");
    }
    // The refusal's expiry is when to look again.
    let mut i = input();
    i.register.refusal = refused("BurnAboveCap", 30);
    assert_eq!(plan(&i).requeue, Some(Duration::from_secs(30)));
    // The request carries the configured totals (the executor subtracts the ledger's sums).
    assert_eq!(plan(&input()).actions, vec![Wanted::Register(caps())]);
}

fn stake(own: Option<u64>) -> StakeFacts {
    StakeFacts {
        target: Ok(StakeTarget {
            target_rao: 10 * TAO,
            max_add_per_day_rao: 4 * TAO,
            allow_unstake: false,
            max_slippage_percent: 1.0,
        }),
        own_value_rao: own,
        added_last_24h_rao: 0,
        in_flight: false,
        refusal: None,
    }
}

#[test]
fn stake_table() {
    // (name, registered, facts, wants a stake action, StakeSatisfied (status, reason))
    let mut capped = stake(Some(TAO));
    capped.added_last_24h_rao = 4 * TAO;
    let mut flying = stake(Some(TAO));
    flying.in_flight = true;
    let mut refused_now = stake(Some(TAO));
    refused_now.refusal = refused("ColdkeySwapAnnounced", 20);
    let mut bad = stake(Some(TAO));
    bad.target = Err("stake.targetTao: bad".into());
    let cases = [
        (
            "not registered",
            false,
            stake(Some(0)),
            false,
            (false, "NotRegistered"),
        ),
        (
            "below target",
            true,
            stake(Some(TAO)),
            true,
            (false, "Staking"),
        ),
        (
            "at target",
            true,
            stake(Some(10 * TAO)),
            false,
            (true, "TargetReached"),
        ),
        (
            "own stake unread",
            true,
            stake(None),
            false,
            (false, "Staking"),
        ),
        (
            "daily cap used",
            true,
            capped,
            false,
            (false, "DailyCapReached"),
        ),
        ("in flight", true, flying, false, (false, "Staking")),
        (
            "refused",
            true,
            refused_now,
            false,
            (false, "ColdkeySwapAnnounced"),
        ),
        ("invalid", true, bad, false, (false, "InvalidSpec")),
    ];
    for (name, is_registered, facts, wants, (status, why)) in cases {
        let mut i = if is_registered {
            registered(input())
        } else {
            input()
        };
        i.stake = Some(facts);
        let p = plan(&i);
        let c = cond(&p, types::STAKE_SATISFIED).expect(name);
        assert_eq!((c.status, c.reason.as_str()), (status, why), "{name}");
        assert_eq!(
            p.actions.iter().any(|a| matches!(a, Wanted::Stake(_))),
            wants,
            "{name}"
        );
    }
}

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

#[test]
fn health_restarts_once_and_respects_the_guard() {
    let stale = WeightAge {
        age_blocks: 2000,
        max_age_blocks: 1000,
    };
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
    i.health.weights = Some(WeightAge {
        age_blocks: 10,
        max_age_blocks: 1000,
    });
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
    i.health.weights = Some(WeightAge {
        age_blocks: 1,
        max_age_blocks: 10,
    });
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
