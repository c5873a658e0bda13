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
        risk: None,
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

#[test]
fn identity_blocks_registration_and_a_swap_scales_to_zero() {
    use crate::decide::identity::Identity;
    let mut i = input();
    i.previously_registered = true;
    i.register.identity = Identity::HotkeySwapped {
        new_hotkey: "5New".into(),
    };
    i.register.hotkey = "5Old".into();
    let p = plan(&i);
    assert!(p.actions.is_empty(), "{:?}", p.actions);
    assert_eq!(p.replicas, 0);
    assert_eq!(
        reason(&p, types::REGISTRATION_BLOCKED).as_deref(),
        Some("HotkeySwapped")
    );
    let c = cond(&p, types::HOTKEY_SWAPPED).expect("HotkeySwapped");
    assert!(c.status && c.message.contains("5New") && c.message.contains("5Old"));

    i.register.identity = Identity::SubnetReplaced { was: 1, now: 9 };
    let p = plan(&i);
    assert!(p.actions.is_empty());
    assert!(cond(&p, types::SUBNET_REPLACED).is_some_and(|c| c.status));
    assert!(cond(&p, types::HOTKEY_SWAPPED).is_none());

    i.register.identity = Identity::HotkeyChanged {
        registered: "5Paid".into(),
    };
    let p = plan(&i);
    assert!(p.actions.is_empty());
    assert_eq!(
        reason(&p, types::REGISTRATION_BLOCKED).as_deref(),
        Some("HotkeyChanged")
    );
    assert!(cond(&p, types::SUBNET_REPLACED).is_none());
}

#[path = "tests_runtime.rs"]
mod runtime;
