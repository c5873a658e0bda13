//! Registration in the plan: the `RegistrationBlocked` condition and the request to register,
//! from the registration state machine (`decide::registration`) and the executor's last word.

use super::{until, Refused};
use crate::api::{types, CondSpec, RegistrationMode};
use crate::decide::registration::{decide, ChainView, RegistrationInput, RegistrationStep};
use std::time::Duration;

/// The caps and budgets a registration request carries (totals: the executor subtracts what
/// the ledger shows spent when it decides).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterCaps {
    /// min(Neuron cap, Subnet cap), rao.
    pub cap_rao: u64,
    pub subnet_budget_rao: Option<u64>,
    pub set_budget_rao: Option<u64>,
}

#[derive(Clone, Debug, Default)]
pub struct RegisterFacts {
    pub mode: RegistrationMode,
    pub reregister: bool,
    pub has_coldkey: bool,
    /// The parsed caps, or why they cannot be read.
    pub caps: Option<Result<RegisterCaps, String>>,
    /// What remains of the budgets now (ledger sums): for an early, exact condition.
    pub budget_left_rao: Option<u64>,
    pub chain: Option<ChainView>,
    /// An intent in the ledger or a job at the executor.
    pub in_flight: bool,
    pub was_registered: bool,
    pub refusal: Option<Refused>,
    /// Only for a hotkey the snapshot does not show registered (`decide::identity`).
    pub identity: crate::decide::identity::Identity,
    pub hotkey: String,
}

pub struct RegisterPlan {
    pub condition: Option<CondSpec>,
    pub action: Option<RegisterCaps>,
    pub requeue: Option<Duration>,
}

/// `HotkeySwapped` / `SubnetReplaced` (True) while the identity check says so; the
/// registration they block is in `RegistrationBlocked`.
pub fn identity_condition(f: &RegisterFacts) -> Option<CondSpec> {
    use crate::decide::identity::Identity;
    let type_ = match &f.identity {
        Identity::HotkeySwapped { .. } => types::HOTKEY_SWAPPED,
        Identity::SubnetReplaced { .. } => types::SUBNET_REPLACED,
        Identity::Clear | Identity::HotkeyChanged { .. } => return None,
    };
    let reason = f.identity.reason().unwrap_or_default();
    Some(CondSpec::new(
        type_,
        true,
        reason,
        f.identity.message(&f.hotkey),
    ))
}

fn blocked(reason: &str, message: impl Into<String>) -> Option<CondSpec> {
    Some(CondSpec::new(
        types::REGISTRATION_BLOCKED,
        true,
        reason,
        message,
    ))
}

pub fn plan(f: &RegisterFacts, now: jiff::Timestamp) -> RegisterPlan {
    let none = RegisterPlan {
        condition: None,
        action: None,
        requeue: None,
    };
    let caps = match &f.caps {
        Some(Ok(c)) => c.clone(),
        Some(Err(msg)) => {
            return RegisterPlan {
                condition: blocked("InvalidSpec", msg.clone()),
                ..none
            }
        }
        None => return none,
    };
    let input = RegistrationInput {
        mode: f.mode,
        reregister: f.reregister,
        has_coldkey: f.has_coldkey,
        cap_rao: caps.cap_rao,
        budget_remaining_rao: f.budget_left_rao,
        chain: f.chain.clone(),
        pending: f.in_flight,
        was_registered: f.was_registered,
        identity: f.identity.clone(),
        hotkey: f.hotkey.clone(),
    };
    match decide(&input) {
        RegistrationStep::Blocked(b) => RegisterPlan {
            condition: blocked(b.reason(), b.message()),
            ..none
        },
        RegistrationStep::Register { .. } => match &f.refusal {
            // The executor said no a moment ago and why: show it, ask again when it expires.
            Some(r) if r.holds(now) => RegisterPlan {
                condition: blocked(&r.reason, r.message.clone()),
                action: None,
                requeue: Some(until(now, r.retry_at)),
            },
            _ => RegisterPlan {
                condition: None,
                action: Some(caps),
                requeue: None,
            },
        },
        RegistrationStep::Registered { .. }
        | RegistrationStep::InFlight
        | RegistrationStep::WaitExternal
        | RegistrationStep::WaitForChain => none,
    }
}
