//! A Neuron's phase, conditions and desired replicas, from what was observed.

use crate::api::{types, CondSpec, NeuronPhase, PodStatusSummary};

/// Why a Neuron cannot have a pod at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocker {
    /// `spec.subnet` names no Subnet in the namespace (may appear later).
    SubnetNotFound(String),
    /// The spec (or its Subnet's) breaks a rule.
    InvalidSpec(String),
    /// An older Neuron uses the same hotkey.
    HotkeyConflict(String),
    /// The hotkey Secret is missing and may not be generated (may appear later).
    HotkeyMissing(String),
    /// The hotkey Secret exists but cannot be used.
    HotkeyInvalid(String),
}

impl Blocker {
    pub fn reason(&self) -> &'static str {
        match self {
            Blocker::SubnetNotFound(_) => "SubnetNotFound",
            Blocker::InvalidSpec(_) => "InvalidSpec",
            Blocker::HotkeyConflict(_) => "HotkeyConflict",
            Blocker::HotkeyMissing(_) => "HotkeySecretMissing",
            Blocker::HotkeyInvalid(_) => "HotkeySecretInvalid",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Blocker::SubnetNotFound(m)
            | Blocker::InvalidSpec(m)
            | Blocker::HotkeyConflict(m)
            | Blocker::HotkeyMissing(m)
            | Blocker::HotkeyInvalid(m) => m,
        }
    }

    /// The condition type that names this blocker, when it has its own.
    fn condition_type(&self) -> Option<&'static str> {
        match self {
            Blocker::SubnetNotFound(_) => Some(types::SUBNET_NOT_FOUND),
            Blocker::InvalidSpec(_) | Blocker::HotkeyInvalid(_) => Some(types::INVALID_SPEC),
            Blocker::HotkeyConflict(_) => Some(types::HOTKEY_CONFLICT),
            Blocker::HotkeyMissing(_) => None,
        }
    }

    /// Waiting for something to appear (Pending) versus needing a user's fix (Failed).
    fn phase(&self) -> NeuronPhase {
        match self {
            Blocker::SubnetNotFound(_) | Blocker::HotkeyMissing(_) => NeuronPhase::Pending,
            _ => NeuronPhase::Failed,
        }
    }
}

/// What the chain cache says about the hotkey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainFacts {
    /// No snapshot yet.
    NotPolled,
    /// The last poll failed; older knowledge stands.
    Unreachable(String),
    /// The latest snapshot: the hotkey's uid, if registered.
    Polled { uid: Option<u16> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct NeuronFacts {
    pub blocker: Option<Blocker>,
    pub suspended: bool,
    pub chain: ChainFacts,
    /// The previous status said registered (uid set) or deregistered.
    pub previously_registered: bool,
    /// A registration intent is recorded and not yet resolved.
    pub registration_pending: bool,
    /// `registration.mode: external`.
    pub external_registration: bool,
    pub pod: Option<PodStatusSummary>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NeuronDecision {
    pub phase: NeuronPhase,
    pub replicas: i32,
    pub registered: bool,
    pub conditions: Vec<CondSpec>,
}

/// Registered as far as we know: the latest snapshot, else (chain down or not yet polled) the
/// previous status, so a chain outage never scales a running neuron to zero.
pub fn effectively_registered(chain: &ChainFacts, previously_registered: bool) -> bool {
    match chain {
        ChainFacts::Polled { uid } => uid.is_some(),
        ChainFacts::NotPolled | ChainFacts::Unreachable(_) => previously_registered,
    }
}

pub fn decide_neuron(f: &NeuronFacts) -> NeuronDecision {
    if let Some(b) = &f.blocker {
        let mut conditions: Vec<CondSpec> = b
            .condition_type()
            .map(|t| CondSpec::new(t, true, b.reason(), b.message()))
            .into_iter()
            .collect();
        conditions.push(CondSpec::new(types::READY, false, b.reason(), b.message()));
        return NeuronDecision {
            phase: b.phase(),
            replicas: 0,
            registered: false,
            conditions,
        };
    }
    let registered = effectively_registered(&f.chain, f.previously_registered);
    let registered_cond = match (&f.chain, registered) {
        (ChainFacts::Polled { uid: Some(uid) }, _) => {
            CondSpec::new(types::REGISTERED, true, "Registered", format!("uid {uid}"))
        }
        (ChainFacts::Polled { uid: None }, _) if f.external_registration => CondSpec::new(
            types::REGISTERED,
            false,
            "AwaitingExternalRegistration",
            "registration.mode is external: waiting for someone else to register the hotkey",
        ),
        (ChainFacts::Polled { uid: None }, _) => CondSpec::new(
            types::REGISTERED,
            false,
            "NotRegistered",
            "the hotkey has no uid on the subnet",
        ),
        (ChainFacts::Unreachable(e), r) => CondSpec::new(
            types::REGISTERED,
            r,
            "ChainUnreachable",
            format!("chain unreachable, showing the last known state: {e}"),
        ),
        (ChainFacts::NotPolled, r) => CondSpec::new(
            types::REGISTERED,
            r,
            "ChainNotPolled",
            "waiting for the first chain poll",
        ),
    };
    let replicas = i32::from(registered && !f.suspended);
    let pod_cond = match &f.pod {
        Some(p) if p.ready => CondSpec::new(
            types::POD_READY,
            true,
            "PodReady",
            format!("pod {} is ready", p.name),
        ),
        Some(p) => CondSpec::new(
            types::POD_READY,
            false,
            "PodNotReady",
            format!("pod {} is not ready ({} restarts)", p.name, p.restarts),
        ),
        None if f.suspended => {
            CondSpec::new(types::POD_READY, false, "Suspended", "spec.suspend is true")
        }
        None if replicas == 0 => CondSpec::new(
            types::POD_READY,
            false,
            "NotRegistered",
            "no pod until the hotkey is registered",
        ),
        None => CondSpec::new(
            types::POD_READY,
            false,
            "PodMissing",
            "the pod does not exist yet",
        ),
    };
    let pod_ready = f.pod.as_ref().is_some_and(|p| p.ready);
    let phase = if f.suspended {
        NeuronPhase::Suspended
    } else if registered && pod_ready {
        NeuronPhase::Running
    } else if registered && f.pod.as_ref().is_some_and(|p| p.restarts > 0) {
        NeuronPhase::Degraded
    } else if registered {
        NeuronPhase::Registered
    } else if f.registration_pending {
        NeuronPhase::Registering
    } else if f.previously_registered {
        NeuronPhase::Deregistered
    } else {
        NeuronPhase::Pending
    };
    let ready = if phase == NeuronPhase::Running {
        CondSpec::new(
            types::READY,
            true,
            "Running",
            "registered and the pod is ready",
        )
    } else {
        let (reason, msg) = match phase {
            NeuronPhase::Suspended => ("Suspended", "spec.suspend is true"),
            NeuronPhase::Deregistered => ("Deregistered", "the hotkey lost its uid on the subnet"),
            NeuronPhase::Registering => ("Registering", "a registration is in flight"),
            NeuronPhase::Pending => ("NotRegistered", "the hotkey is not registered"),
            _ => ("PodNotReady", "the pod is not ready"),
        };
        CondSpec::new(types::READY, false, reason, msg)
    };
    NeuronDecision {
        phase,
        replicas,
        registered,
        conditions: vec![registered_cond, pod_cond, ready],
    }
}

#[cfg(test)]
#[path = "neuron_tests.rs"]
mod tests;
