//! Validator stake steps: keep the TAO value of the coldkey's own alpha at least the target, add
//! at most the daily cap, never unstake unless allowed; and the price bounds of each step. Pure.
//!
//! Amounts here are TAO (rao): the value of alpha at the pool price. Alpha is bought and sold at
//! a moving price, so a TAO amount and an alpha amount are never the same number.

/// The chain's minimum stake (`DefaultMinStake`, HEAD `runtime/src/lib.rs`: 0.002 TAO).
pub const MIN_STAKE_RAO: u64 = 2_000_000;
/// Smallest amount moved: the minimum plus 1 % for the swap fee, since the chain checks the
/// amount against minimum + fee, then what reaches the pool after the fee against the minimum
/// (`AmountTooLow` either way, HEAD `staking/stake_utils.rs` `validate_add_stake`).
pub const MIN_MOVE_RAO: u64 = MIN_STAKE_RAO + MIN_STAKE_RAO / 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StakeInput {
    pub target_rao: u64,
    /// TAO value of the coldkey's own alpha on (hotkey, netuid), at the current price.
    pub current_rao: u64,
    /// Cap on stake added in any 24 h.
    pub max_add_per_day_rao: u64,
    /// Stake added by the operator in the last 24 h (from recorded operations).
    pub added_last_24h_rao: u64,
    pub allow_unstake: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StakeStep {
    Satisfied,
    /// Buy alpha for this much TAO.
    Add {
        amount_rao: u64,
    },
    /// Sell alpha worth this much TAO.
    Remove {
        amount_rao: u64,
    },
    /// Below target but today's cap is used up.
    DailyCapReached {
        missing_rao: u64,
    },
}

pub fn decide(i: &StakeInput) -> StakeStep {
    if i.current_rao >= i.target_rao {
        let excess = i.current_rao - i.target_rao;
        if i.allow_unstake && excess >= MIN_MOVE_RAO {
            return StakeStep::Remove { amount_rao: excess };
        }
        return StakeStep::Satisfied;
    }
    let missing = i.target_rao - i.current_rao;
    let allowance = i.max_add_per_day_rao.saturating_sub(i.added_last_24h_rao);
    // The chain refuses tiny amounts, so a small gap is closed with the minimum (a slight overshoot).
    let want = missing.max(MIN_MOVE_RAO);
    let amount = want.min(allowance);
    if amount < MIN_MOVE_RAO {
        return StakeStep::DailyCapReached {
            missing_rao: missing,
        };
    }
    StakeStep::Add { amount_rao: amount }
}

/// The price bound `percent` away from `price_rao` (rao per alpha): above it when buying, below
/// when selling. At least 1 rao when buying: a zero limit means "no limit" to nobody.
pub fn limit_price(price_rao: u64, percent: f64, add: bool) -> u64 {
    let factor = if add {
        1.0 + percent / 100.0
    } else {
        (1.0 - percent / 100.0).max(0.0)
    };
    let p = (price_rao as f64 * factor).round() as u64;
    if add {
        p.max(1)
    } else {
        p
    }
}

/// The alpha (rao) worth `tao_rao` at `price_rao`, at most `held`.
pub fn alpha_for(tao_rao: u64, price_rao: u64, held: u64) -> u64 {
    if price_rao == 0 {
        return 0;
    }
    let a = u128::from(tao_rao) * u128::from(crate::api::RAO_PER_TAO) / u128::from(price_rao);
    u64::try_from(a).unwrap_or(u64::MAX).min(held)
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
                "tiny gap rounds up to the chain minimum and its fee",
                input(TAO, TAO - 5, TAO, 0),
                StakeStep::Add {
                    amount_rao: 2_020_000,
                },
            ),
            (
                "allowance of exactly the chain minimum: the fee would make it AmountTooLow",
                input(TAO, 0, TAO, TAO - MIN_STAKE_RAO),
                StakeStep::DailyCapReached { missing_rao: TAO },
            ),
            (
                "allowance below chain minimum",
                input(TAO, 0, TAO, TAO - 1),
                StakeStep::DailyCapReached { missing_rao: TAO },
            ),
        ];
        for (name, i, want) in cases {
            assert_eq!(decide(&i), want, "{name}");
        }
    }

    #[test]
    fn price_bounds_and_alpha_amounts() {
        // (price rao/alpha, percent, add, limit)
        let cases = [
            (250_000_000, 1.0, true, 252_500_000),
            (250_000_000, 1.0, false, 247_500_000),
            (250_000_000, 0.0, true, 250_000_000),
            (250_000_000, 150.0, false, 0),
            (0, 1.0, true, 1),
        ];
        for (price, pct, add, want) in cases {
            assert_eq!(limit_price(price, pct, add), want, "{price} {pct} {add}");
        }
        // 1 TAO at 0.25 TAO/alpha is 4 alpha; never more than is held; no price, no amount
        assert_eq!(alpha_for(TAO, 250_000_000, u64::MAX), 4 * TAO);
        assert_eq!(alpha_for(TAO, 250_000_000, 3 * TAO), 3 * TAO);
        assert_eq!(alpha_for(TAO, 0, u64::MAX), 0);
    }
}
