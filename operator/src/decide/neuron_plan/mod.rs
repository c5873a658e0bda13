//! The Neuron plan: everything one reconcile decides, from what it observed — phase, replicas,
//! conditions, and the actions wanted (register, stake, serve the axon, restart the pod). Pure:
//! the reconcile gathers the facts from caches, builds children from the plan, applies them,
//! hands the chain actions to the executor and writes the status; it never decides itself.

mod axon;
mod health;
mod pod;
mod register;
mod risk;
mod stake;

pub use axon::{pick_ip, unreachable_from_internet, AxonFacts};
pub use health::{HealthFacts, Restart, RestartWindow, WeightAge};
pub use pod::pod_trouble;
pub use register::{RegisterCaps, RegisterFacts};
pub use stake::{StakeFacts, StakeTarget};

use super::{decide_neuron, Blocker, ChainFacts, NeuronFacts};
use crate::api::{types, CondSpec, NeuronPhase, PodStatusSummary};
use jiff::Timestamp;
use std::net::IpAddr;
use std::time::Duration;

/// The executor's last refusal of a request, as the plan sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub reason: String,
    pub message: String,
    pub retry_at: Timestamp,
}

impl Refused {
    /// Still in force at `now`: asking again now would get the same answer.
    fn holds(&self, now: Timestamp) -> bool {
        now < self.retry_at
    }
}

pub struct PlanInput {
    pub now: Timestamp,
    pub blocker: Option<Blocker>,
    pub suspended: bool,
    pub external_registration: bool,
    pub chain: ChainFacts,
    /// The status said registered (a uid) or deregistered.
    pub previously_registered: bool,
    pub pod: Option<PodStatusSummary>,
    /// PodReady False with the kubelet's reason when a container is stuck.
    pub pod_trouble: Option<CondSpec>,
    pub register: RegisterFacts,
    /// None for miners and validators without a stake spec.
    pub stake: Option<StakeFacts>,
    /// None when `axon.serve` is false.
    pub axon: Option<AxonFacts>,
    pub health: HealthFacts,
    /// The uid's place in the pruning order (None: not registered in the snapshot).
    pub risk: Option<crate::decide::pruning::Risk>,
}

/// A chain action for the executor.
#[derive(Clone, Debug, PartialEq)]
pub enum Wanted {
    Register(RegisterCaps),
    Stake(StakeTarget),
    Serve { ip: IpAddr, port: u16 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct NeuronPlan {
    pub phase: NeuronPhase,
    pub replicas: i32,
    pub registered: bool,
    /// Every condition the Neuron should carry (types of ours absent here are removed).
    pub conditions: Vec<CondSpec>,
    pub actions: Vec<Wanted>,
    pub restart: Option<Restart>,
    /// Look again this soon (a refusal expiring, a backoff ending).
    pub requeue: Option<Duration>,
}

fn sooner(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// How long until `t`, from `now` (at least a second).
pub(crate) fn until(now: Timestamp, t: Timestamp) -> Duration {
    now.duration_until(t)
        .unsigned_abs()
        .max(Duration::from_secs(1))
}

pub fn plan(i: &PlanInput) -> NeuronPlan {
    let in_flight = i.register.in_flight;
    let core = decide_neuron(&NeuronFacts {
        blocker: i.blocker.clone(),
        suspended: i.suspended,
        chain: i.chain.clone(),
        previously_registered: i.previously_registered,
        registration_pending: in_flight,
        external_registration: i.external_registration,
        pod: i.pod.clone(),
    });
    let mut p = NeuronPlan {
        phase: core.phase,
        replicas: core.replicas,
        registered: core.registered,
        conditions: core.conditions,
        actions: Vec::new(),
        restart: None,
        requeue: None,
    };
    if i.blocker.is_some() {
        return p;
    }
    if let Some(trouble) = &i.pod_trouble {
        p.conditions.retain(|c| c.type_ != types::POD_READY);
        p.conditions.push(trouble.clone());
    }
    let reg = register::plan(&i.register, i.now);
    p.conditions.extend(reg.condition);
    if let Some(c) = register::identity_condition(&i.register) {
        // The uid runs under another key now: a pod with the old key would only compete.
        if c.type_ == types::HOTKEY_SWAPPED {
            p.replicas = 0;
        }
        p.conditions.push(c);
    }
    p.actions.extend(reg.action.map(Wanted::Register));
    p.requeue = sooner(p.requeue, reg.requeue);
    if let Some(s) = &i.stake {
        let s = stake::plan(s, p.registered, i.now);
        p.conditions.push(s.condition);
        p.actions.extend(s.action.map(Wanted::Stake));
        p.requeue = sooner(p.requeue, s.requeue);
    }
    if let Some(a) = &i.axon {
        let a = axon::plan(a, i.now);
        p.conditions.push(a.condition);
        p.actions.extend(a.action);
        p.requeue = sooner(p.requeue, a.requeue);
    }
    if p.registered {
        p.conditions.extend(i.risk.as_ref().map(risk::condition));
    }
    let h = health::plan(&i.health, i.pod.is_some(), i.now);
    p.conditions.extend(h.conditions);
    p.restart = h.restart;
    p.requeue = sooner(p.requeue, h.requeue);
    p
}

/// The condition types the plan owns on a Neuron (any other type is someone else's).
pub const PLANNED_CONDITIONS: [&str; 14] = [
    types::READY,
    types::REGISTERED,
    types::POD_READY,
    types::SUBNET_NOT_FOUND,
    types::HOTKEY_CONFLICT,
    types::INVALID_SPEC,
    types::REGISTRATION_BLOCKED,
    types::STAKE_SATISFIED,
    types::AXON_SERVED,
    types::WEIGHTS_FRESH,
    types::GPU_UNHEALTHY,
    types::HOTKEY_SWAPPED,
    types::SUBNET_REPLACED,
    types::AT_RISK,
];

/// Warning Events the plan warrants against the previous conditions: a condition of these
/// types newly showing trouble (or trouble of a new reason), once, not on every reconcile.
pub fn warnings<'a>(prev: &[crate::api::Condition], plan: &'a NeuronPlan) -> Vec<&'a CondSpec> {
    let troubled = |c: &CondSpec| match c.type_ {
        types::REGISTRATION_BLOCKED
        | types::GPU_UNHEALTHY
        | types::HOTKEY_SWAPPED
        | types::SUBNET_REPLACED
        | types::AT_RISK => c.status,
        types::POD_READY => {
            !c.status
                && !["PodNotReady", "PodMissing", "NotRegistered", "Suspended"]
                    .contains(&c.reason.as_str())
        }
        types::READY => {
            !c.status
                && [
                    "SubnetNotFound",
                    "InvalidSpec",
                    "HotkeyConflict",
                    "HotkeySecretMissing",
                    "HotkeySecretInvalid",
                ]
                .contains(&c.reason.as_str())
        }
        types::STAKE_SATISFIED => {
            !c.status && !["NotRegistered", "Staking"].contains(&c.reason.as_str())
        }
        _ => false,
    };
    plan.conditions
        .iter()
        .filter(|c| troubled(c))
        .filter(|c| {
            // Same type, status and reason as before: announced already (messages carry
            // moving figures such as the burn, which must not repeat the Event every block).
            let status = if c.status { "True" } else { "False" };
            !prev
                .iter()
                .any(|p| p.type_ == c.type_ && p.reason == c.reason && p.status == status)
        })
        .collect()
}

/// Normal Events the plan warrants against the previous conditions: (reason, message).
pub fn notices(prev: &[crate::api::Condition], plan: &NeuronPlan) -> Vec<(&'static str, String)> {
    risk::immunity_ended(prev, &plan.conditions)
        .map(|m| ("ImmunityEnded", m))
        .into_iter()
        .collect()
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
