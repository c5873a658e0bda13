//! The registration state machine: given what the chain and the Neuron's recorded status say,
//! what may the operator do next? Pure: no client, no chain, no clock (time is an input).
//!
//! Money rules encoded here:
//! - an intent in flight (recorded in the ledger before submission, or a job the executor has)
//!   blocks any new request until the chain has been read and the intent resolved — so a crash
//!   between "submit" and "record outcome" can never lead to a second burn;
//! - every request is capped at min(Neuron cap, Subnet cap) and by the remaining budgets (the
//!   executor checks them again against the ledger before recording the intent);
//! - external mode never spends.

use super::identity::Identity;
use crate::api::RegistrationMode;

/// Why the operator will not register now (the `RegistrationBlocked` condition's reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocked {
    BurnAboveCap {
        burn: u64,
        cap: u64,
    },
    BudgetExhausted {
        needed: u64,
        remaining: u64,
    },
    RegistrationDisabled,
    NoColdkey,
    ReregisterDisabled,
    /// The earlier registration lives on elsewhere, or the key or subnet is not the one paid
    /// for (`decide::identity`). `hotkey`: the key in the Secret.
    Identity {
        identity: Identity,
        hotkey: String,
    },
}

/// The reason of `RegistrationBlocked` when a budget has too little left for the burn.
pub const BUDGET_EXHAUSTED: &str = "BudgetExhausted";

impl Blocked {
    pub fn reason(&self) -> &'static str {
        match self {
            Blocked::BurnAboveCap { .. } => "BurnAboveCap",
            Blocked::BudgetExhausted { .. } => BUDGET_EXHAUSTED,
            Blocked::RegistrationDisabled => "RegistrationDisabled",
            Blocked::NoColdkey => "NoColdkey",
            Blocked::ReregisterDisabled => "ReregisterDisabled",
            Blocked::Identity { identity, .. } => identity.reason().unwrap_or("Identity"),
        }
    }

    pub fn message(&self) -> String {
        use crate::api::format_tao;
        match self {
            Blocked::BurnAboveCap { burn, cap } => {
                format!(
                    "burn {} TAO is above the cap {} TAO; waiting for it to decay",
                    format_tao(*burn),
                    format_tao(*cap)
                )
            }
            Blocked::BudgetExhausted { needed, remaining } => format!(
                "registration needs {} TAO but only {} TAO of budget remains",
                format_tao(*needed),
                format_tao(*remaining)
            ),
            Blocked::RegistrationDisabled => "registration is disabled on this subnet".into(),
            Blocked::NoColdkey => {
                "registration.mode is auto but wallet.coldkeySecret is not set".into()
            }
            Blocked::ReregisterDisabled => {
                "the hotkey was deregistered and registration.reregister is false".into()
            }
            Blocked::Identity { identity, hotkey } => identity.message(hotkey),
        }
    }
}

/// What the operator should do about registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistrationStep {
    /// The hotkey is registered; nothing to do.
    Registered { uid: u16 },
    /// An intent is in flight: nothing new until it is resolved.
    InFlight,
    /// Submit one registration paying at most `limit_rao`.
    Register { limit_rao: u64 },
    /// Not registered and not allowed to register now.
    Blocked(Blocked),
    /// Mode external: wait for someone else to register the hotkey.
    WaitExternal,
    /// No chain view yet (poller has not produced a snapshot).
    WaitForChain,
}

/// Everything the decision needs, gathered by the caller.
#[derive(Clone, Debug, Default)]
pub struct RegistrationInput {
    pub mode: RegistrationMode,
    pub reregister: bool,
    pub has_coldkey: bool,
    /// min(Neuron cap, Subnet cap), rao.
    pub cap_rao: u64,
    /// Remaining budgets (Subnet 24 h, NeuronSet lifetime), rao; None = unlimited.
    pub budget_remaining_rao: Option<u64>,
    /// From the poller's cache: None when no snapshot yet.
    pub chain: Option<ChainView>,
    /// An intent in flight (ledger or executor).
    pub pending: bool,
    /// Whether this hotkey was registered before (a uid was recorded) — for `reregister`.
    pub was_registered: bool,
    /// Whether an earlier registration moved or belongs to another key or subnet.
    pub identity: Identity,
    /// The hotkey in the Secret (ss58), for messages.
    pub hotkey: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainView {
    pub uid: Option<u16>,
    pub burn_rao: u64,
    pub registration_allowed: bool,
}

pub fn decide(input: &RegistrationInput) -> RegistrationStep {
    // The intent comes first, even before the cached view: the cache may predate the submission.
    if input.pending {
        return RegistrationStep::InFlight;
    }
    let Some(chain) = &input.chain else {
        return RegistrationStep::WaitForChain;
    };
    if let Some(uid) = chain.uid {
        return RegistrationStep::Registered { uid };
    }
    if input.mode == RegistrationMode::External {
        return RegistrationStep::WaitExternal;
    }
    let blocked = |b| RegistrationStep::Blocked(b);
    if input.identity != Identity::Clear {
        return blocked(Blocked::Identity {
            identity: input.identity.clone(),
            hotkey: input.hotkey.clone(),
        });
    }
    if input.was_registered && !input.reregister {
        return blocked(Blocked::ReregisterDisabled);
    }
    if !input.has_coldkey {
        return blocked(Blocked::NoColdkey);
    }
    if !chain.registration_allowed {
        return blocked(Blocked::RegistrationDisabled);
    }
    if chain.burn_rao > input.cap_rao {
        return blocked(Blocked::BurnAboveCap {
            burn: chain.burn_rao,
            cap: input.cap_rao,
        });
    }
    // The burn may rise before inclusion; the limit is the cap, clipped by what budgets allow.
    let limit = input
        .budget_remaining_rao
        .map_or(input.cap_rao, |r| r.min(input.cap_rao));
    if chain.burn_rao > limit {
        let remaining = input.budget_remaining_rao.unwrap_or(0);
        return blocked(Blocked::BudgetExhausted {
            needed: chain.burn_rao,
            remaining,
        });
    }
    RegistrationStep::Register { limit_rao: limit }
}

#[cfg(test)]
#[path = "registration_tests.rs"]
mod tests;
