//! The fake chain's subnet pool, a model of HEAD's swap (`pallets/swap/src/pallet/impls.rs`,
//! `swap_step.rs`): a constant-product pool (HEAD's balancer at its default 0.5/0.5 weights,
//! `balancer.rs:220-228`, which is also spec 218's pool) with the swap fee, or a stable 1:1 pool
//! (`SubnetMechanism` 0: price 1, no fee, no slippage). Limit prices are in rao per 1 alpha, as
//! `add_stake_limit` / `remove_stake_limit` take them (HEAD `macros/dispatches.rs:1619-1624`).
//! Pure; the rules that use it are in `stake.rs`.

use std::cmp::Ordering;

use crate::chain::RAO_PER_TAO;

/// `SwapMinimumReserve`: a swap needs this much of the token it pays out (HEAD
/// `runtime/src/lib.rs:1134`, checked in `impls.rs:212-215`).
pub const MINIMUM_RESERVE: u64 = 1_000_000;
/// A swap's input (net of fee) is at most this many times the input reserve
/// (`swap_step.rs:10`, `impls.rs:185-200`); staking checks the gross amount first
/// (`add_stake.rs:191-204`, `remove_stake.rs:409-420`).
pub const MAX_INPUT_MULTIPLIER: u64 = 1_000;
/// The limits `add_stake` / `remove_stake` (and the validations' simulations) swap with:
/// `max_price_inner` / `min_price_inner`, rao per alpha (`impls.rs:280-286`).
pub const MAX_PRICE_RAO: u64 = 1_000_000_000_000_000;
pub const MIN_PRICE_RAO: u64 = 1_000;
/// `FeeRate` is normalised to u16::MAX (`impls.rs:254-270`); HEAD's default is 33 (~0.05 %,
/// `pallets/swap/src/pallet/mod.rs:88-96`).
const FEE_SCALE: u128 = u16::MAX as u128;

/// Which way a swap goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// TAO in, alpha out (`GetAlphaForTao`): the price rises.
    Buy,
    /// Alpha in, TAO out (`GetTaoForAlpha`): the price falls.
    Sell,
}

/// What a swap takes and gives. `paid_in` excludes the fee, which is taken on top of it in the
/// input token and goes to the block author, not into the reserve (`swap_step.rs:117-136`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Swap {
    pub paid_in: u64,
    pub out: u64,
    pub fee: u64,
}

/// The swap pallet's errors (pallet `Swap`), as dispatch errors of the staking calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwapError {
    /// The current price is already at or past the limit (`impls.rs:219-223`).
    PriceLimitExceeded,
    ReservesTooLow,
    SwapInputTooLarge,
}

impl SwapError {
    pub fn name(self) -> &'static str {
        match self {
            SwapError::PriceLimitExceeded => "PriceLimitExceeded",
            SwapError::ReservesTooLow => "ReservesTooLow",
            SwapError::SwapInputTooLarge => "SwapInputTooLarge",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reserves {
    /// `SubnetTAO`, rao.
    pub tao: u64,
    /// `SubnetAlphaIn`, alpha-rao.
    pub alpha: u64,
    /// Stable subnet: 1 TAO buys 1 alpha, the price never moves.
    pub stable: bool,
    /// `FeeRate`, of u16::MAX.
    pub fee_rate: u16,
}

/// `tao / alpha` compared with `limit / 10^9`, exactly.
fn price_vs(tao: u128, alpha: u128, limit: u64) -> Ordering {
    (tao * u128::from(RAO_PER_TAO)).cmp(&(u128::from(limit) * alpha))
}

impl Reserves {
    /// (input reserve, output reserve) for `side`.
    fn sides(&self, side: Side) -> (u64, u64) {
        match side {
            Side::Buy => (self.tao, self.alpha),
            Side::Sell => (self.alpha, self.tao),
        }
    }

    /// The fee on `amount` of input: `amount × FeeRate / u16::MAX`, none on stable subnets.
    pub fn fee(&self, amount: u64) -> u64 {
        if self.stable {
            return 0;
        }
        (u128::from(amount) * u128::from(self.fee_rate) / FEE_SCALE) as u64
    }

    /// Output for `delta` of input: `out_reserve × delta / (in_reserve + delta)`, rounded down.
    fn out_for(&self, side: Side, delta: u64) -> u64 {
        let (rin, rout) = self.sides(side);
        let den = u128::from(rin) + u128::from(delta);
        if den == 0 {
            return 0;
        }
        (u128::from(rout) * u128::from(delta) / den) as u64
    }

    /// Whether swapping `delta` in stops at or before the limit price (`price_is_closer`).
    fn within(&self, side: Side, delta: u64, limit: u64) -> bool {
        let out = u128::from(self.out_for(side, delta));
        let (tao, alpha) = (u128::from(self.tao), u128::from(self.alpha));
        let d = u128::from(delta);
        match side {
            Side::Buy => price_vs(tao + d, alpha.saturating_sub(out), limit) != Ordering::Greater,
            Side::Sell => price_vs(tao.saturating_sub(out), alpha + d, limit) != Ordering::Less,
        }
    }

    /// The input that moves the price exactly to `limit`: the reserve `r'` with
    /// `r' = sqrt(k × p)` (buying) or `sqrt(k / p)` (selling), less the reserve now.
    fn delta_to(&self, side: Side, limit: u64) -> u64 {
        let k = self.tao as f64 * self.alpha as f64;
        let p = limit as f64 / RAO_PER_TAO as f64;
        let (target, now) = match side {
            Side::Buy => ((k * p).sqrt(), self.tao),
            Side::Sell => ((k / p).sqrt(), self.alpha),
        };
        (target - now as f64).max(0.0).floor() as u64
    }

    /// One swap of `amount` (fee included) with a price limit, as the swap pallet runs it
    /// (`impls.rs:143-249`, `swap_step.rs:72-136`): the fee comes off first; if the rest would
    /// push the price past the limit, only what reaches the limit is swapped and the fee is
    /// recomputed on that. `fees: false` is the fee-less swap of the block author's cut.
    pub fn swap(&self, side: Side, amount: u64, limit: u64, fees: bool) -> Result<Swap, SwapError> {
        if self.stable {
            // `swap_tao_for_alpha` / `swap_alpha_for_tao` on a stable subnet: 1:1, no limit.
            return Ok(Swap {
                paid_in: amount,
                out: amount,
                fee: 0,
            });
        }
        let fee = if fees { self.fee(amount) } else { 0 };
        let net = amount - fee;
        let (rin, rout) = self.sides(side);
        if u128::from(net) > u128::from(rin) * u128::from(MAX_INPUT_MULTIPLIER) {
            return Err(SwapError::SwapInputTooLarge);
        }
        if rout < MINIMUM_RESERVE {
            return Err(SwapError::ReservesTooLow);
        }
        let now = price_vs(u128::from(self.tao), u128::from(self.alpha), limit);
        let beyond = match side {
            Side::Buy => now == Ordering::Less,
            Side::Sell => now == Ordering::Greater,
        };
        if !beyond {
            return Err(SwapError::PriceLimitExceeded);
        }
        let (paid_in, fee) = if self.within(side, net, limit) {
            (net, fee)
        } else {
            let delta = self.delta_to(side, limit).min(net);
            let rate = if fees { u128::from(self.fee_rate) } else { 0 };
            let fee = u128::from(delta) * rate / (FEE_SCALE - rate);
            (delta, fee as u64)
        };
        let out = self.out_for(side, paid_in);
        if paid_in > 0 && out == 0 {
            return Err(SwapError::ReservesTooLow);
        }
        Ok(Swap { paid_in, out, fee })
    }

    /// The most input (fee included) a limited order can fill: HEAD's `get_max_amount_add` /
    /// `get_max_amount_remove` (`add_stake.rs:165-189`, `remove_stake.rs:385-407`). Stable
    /// subnets: everything if the limit admits price 1, else nothing. Dynamic ones: a simulated
    /// swap of 1000× the input reserve up to the limit (its errors are the call's errors).
    pub fn max_in(&self, side: Side, limit: u64) -> Result<u64, SwapError> {
        if self.stable {
            let admits = match side {
                Side::Buy => limit >= RAO_PER_TAO,
                Side::Sell => limit <= RAO_PER_TAO,
            };
            return Ok(if admits { u64::MAX } else { 0 });
        }
        let (rin, _) = self.sides(side);
        let probe = rin.saturating_mul(MAX_INPUT_MULTIPLIER);
        self.swap(side, probe, limit, true)
            .map(|s| s.paid_in.saturating_add(s.fee))
    }

    /// The reserves after `s`: the input (net of fee) goes in, the output leaves, on stable
    /// subnets too (their price stays 1 whatever the reserves; `stake_utils.rs:659-673`,
    /// `:711-724`, through `SwapResult::paid_in_reserve_delta`).
    pub fn after(&self, side: Side, s: &Swap) -> Reserves {
        let mut r = *self;
        match side {
            Side::Buy => {
                r.tao = r.tao.saturating_add(s.paid_in);
                r.alpha = r.alpha.saturating_sub(s.out);
            }
            Side::Sell => {
                r.alpha = r.alpha.saturating_add(s.paid_in);
                r.tao = r.tao.saturating_sub(s.out);
            }
        }
        r
    }
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
