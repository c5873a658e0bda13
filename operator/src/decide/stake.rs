//! Validator stake steps: keep at least the target, add at most the daily cap, never unstake
//! unless allowed. Pure.

/// Smallest stake the chain accepts (`AmountTooLow` below ~0.002 TAO).
pub const MIN_STAKE_RAO: u64 = 2_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StakeInput {
    pub target_rao: u64,
    /// Current stake on the hotkey on this subnet (from the snapshot).
    pub current_rao: u64,
    /// Cap on stake added in any 24 h.
    pub max_add_per_day_rao: u64,
    /// Stake added by the operator in the last 24 h (from recorded operations).
    pub added_last_24h_rao: u64,
    pub allow_unstake: bool,
    /// An earlier stake operation is recorded but not resolved against the chain.
    pub pending: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StakeStep {
    Satisfied,
    ResolveIntent,
    Add {
        amount_rao: u64,
    },
    Remove {
        amount_rao: u64,
    },
    /// Below target but today's cap is used up.
    DailyCapReached {
        missing_rao: u64,
    },
}

pub fn decide(i: &StakeInput) -> StakeStep {
    if i.pending {
        return StakeStep::ResolveIntent;
    }
    if i.current_rao >= i.target_rao {
        let excess = i.current_rao - i.target_rao;
        if i.allow_unstake && excess >= MIN_STAKE_RAO {
            return StakeStep::Remove { amount_rao: excess };
        }
        return StakeStep::Satisfied;
    }
    let missing = i.target_rao - i.current_rao;
    let allowance = i.max_add_per_day_rao.saturating_sub(i.added_last_24h_rao);
    // The chain refuses tiny amounts, so a small gap is closed with the minimum (a slight overshoot).
    let want = missing.max(MIN_STAKE_RAO);
    let amount = want.min(allowance);
    if amount < MIN_STAKE_RAO {
        return StakeStep::DailyCapReached {
            missing_rao: missing,
        };
    }
    StakeStep::Add { amount_rao: amount }
}

#[cfg(test)]
mod tests {
    use super::*;
    const TAO: u64 = 1_000_000_000;

    fn input(target: u64, current: u64, cap: u64, added: u64) -> StakeInput {
        StakeInput {
            target_rao: target,
            current_rao: current,
            max_add_per_day_rao: cap,
            added_last_24h_rao: added,
            allow_unstake: false,
            pending: false,
        }
    }

    #[test]
    fn stake_table() {
        let cases = [
            (
                "at target",
                input(10 * TAO, 10 * TAO, TAO, 0),
                StakeStep::Satisfied,
            ),
            (
                "above target, unstake off",
                input(10 * TAO, 12 * TAO, TAO, 0),
                StakeStep::Satisfied,
            ),
            (
                "above target, unstake on",
                StakeInput {
                    allow_unstake: true,
                    ..input(10 * TAO, 12 * TAO, TAO, 0)
                },
                StakeStep::Remove {
                    amount_rao: 2 * TAO,
                },
            ),
            (
                "dust above target is left alone",
                StakeInput {
                    allow_unstake: true,
                    ..input(10 * TAO, 10 * TAO + 1, TAO, 0)
                },
                StakeStep::Satisfied,
            ),
            (
                "gap within cap",
                input(10 * TAO, 9 * TAO, 5 * TAO, 0),
                StakeStep::Add { amount_rao: TAO },
            ),
            (
                "gap above cap: capped step",
                input(10 * TAO, 0, 3 * TAO, 0),
                StakeStep::Add {
                    amount_rao: 3 * TAO,
                },
            ),
            (
                "partly used cap",
                input(10 * TAO, 0, 3 * TAO, 2 * TAO),
                StakeStep::Add { amount_rao: TAO },
            ),
            (
                "cap used up",
                input(10 * TAO, 0, 3 * TAO, 3 * TAO),
                StakeStep::DailyCapReached {
                    missing_rao: 10 * TAO,
                },
            ),
            (
                "tiny gap rounds up to the chain minimum",
                input(TAO, TAO - 5, TAO, 0),
                StakeStep::Add {
                    amount_rao: MIN_STAKE_RAO,
                },
            ),
            (
                "allowance below chain minimum",
                input(TAO, 0, TAO, TAO - 1),
                StakeStep::DailyCapReached { missing_rao: TAO },
            ),
            (
                "pending first",
                StakeInput {
                    pending: true,
                    ..input(TAO, 0, TAO, 0)
                },
                StakeStep::ResolveIntent,
            ),
        ];
        for (name, i, want) in cases {
            assert_eq!(decide(&i), want, "{name}");
        }
    }
}
