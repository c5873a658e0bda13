//! The registration state machine: given what the chain and the Neuron's recorded status say,
//! what may the operator do next? Pure: no client, no chain, no clock (time is an input).
//!
//! Money rules encoded here:
//! - a pending intent (recorded before submission) blocks any new submission until the chain has
//!   been read and the intent resolved — so a crash between "submit" and "record outcome" can
//!   never lead to a second burn;
//! - every submission is capped at min(Neuron cap, Subnet cap) and by the remaining budgets;
//! - external mode never spends.

use crate::api::{RegistrationIntent, RegistrationMode, RegistrationRecord};

/// Why the operator will not register now (the `RegistrationBlocked` condition's reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocked {
    BurnAboveCap { burn: u64, cap: u64 },
    BudgetExhausted { needed: u64, remaining: u64 },
    RegistrationDisabled,
    NoColdkey,
    ReregisterDisabled,
}

impl Blocked {
    pub fn reason(&self) -> &'static str {
        match self {
            Blocked::BurnAboveCap { .. } => "BurnAboveCap",
            Blocked::BudgetExhausted { .. } => "BudgetExhausted",
            Blocked::RegistrationDisabled => "RegistrationDisabled",
            Blocked::NoColdkey => "NoColdkey",
            Blocked::ReregisterDisabled => "ReregisterDisabled",
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
        }
    }
}

/// What the operator should do about registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistrationStep {
    /// The hotkey is registered; nothing to do.
    Registered { uid: u16 },
    /// An earlier intent exists: read the chain and resolve it before anything else.
    ResolveIntent,
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
    pub pending: Option<RegistrationIntent>,
    /// Whether this hotkey was registered before (a uid was recorded) — for `reregister`.
    pub was_registered: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainView {
    pub uid: Option<u16>,
    pub burn_rao: u64,
    pub registration_allowed: bool,
}

pub fn decide(input: &RegistrationInput) -> RegistrationStep {
    // The intent comes first, even before the cached view: the cache may predate the submission.
    if input.pending.is_some() {
        return RegistrationStep::ResolveIntent;
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

/// What the chain says about a pending intent (read directly, not from the cache).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntentProbe {
    pub head: u64,
    /// `Uids(netuid, hotkey)` now.
    pub uid: Option<u16>,
    /// The signer's next nonce now.
    pub signer_nonce: u64,
}

/// How a pending intent ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntentResolution {
    /// The hotkey is registered: the submission was included (its result was lost).
    Registered { uid: u16 },
    /// The nonce was consumed but the hotkey is not registered: included and failed (or the
    /// nonce was used by another transaction). Nothing was burned for a registration.
    NonceUsedNotRegistered,
    /// The mortal window passed with the nonce unused: it can never be included.
    Expired,
    /// It may still be included: wait and probe again.
    StillPending,
}

pub fn resolve_intent(intent: &RegistrationIntent, probe: &IntentProbe) -> IntentResolution {
    if let Some(uid) = probe.uid {
        return IntentResolution::Registered { uid };
    }
    if probe.signer_nonce > intent.nonce {
        return IntentResolution::NonceUsedNotRegistered;
    }
    if probe.head > intent.mortal_until_block {
        return IntentResolution::Expired;
    }
    IntentResolution::StillPending
}

/// Burn recorded in `records` at or after `since` (RFC 3339; records without a time count, to
/// stay on the safe side of a budget).
pub fn spent_since<'a>(
    records: impl IntoIterator<Item = &'a RegistrationRecord>,
    since: &jiff::Timestamp,
) -> u64 {
    records
        .into_iter()
        .filter(
            |r| match r.at.as_deref().map(str::parse::<jiff::Timestamp>) {
                Some(Ok(at)) => at >= *since,
                _ => true,
            },
        )
        .map(|r| r.paid_rao)
        .sum()
}

#[cfg(test)]
#[path = "registration_tests.rs"]
mod tests;
