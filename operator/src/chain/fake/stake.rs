//! `add_stake(_limit)` and `remove_stake(_limit)` as HEAD dispatches them, checks in its order:
//! `staking/add_stake.rs:39-204`, `remove_stake.rs:39-420`, `stake_utils.rs` `validate_add_stake`
//! (`:1057-1131`), `validate_remove_stake` (`:1135-1185`), `stake_into_subnet` (`:851-951`),
//! `unstake_from_subnet` (`:742-846`). The swap itself is `pool.rs`, the shares `shares.rs`.

use super::dispatch::Moved;
use super::pool::MIN_PRICE_RAO;
use super::pool::{Reserves, Side, Swap, SwapError, MAX_INPUT_MULTIPLIER, MAX_PRICE_RAO};
use super::state::ChainState;
use crate::chain::{AccountId, StakeMoved};

/// A dispatch error: (pallet, error name).
type DispatchError = (&'static str, &'static str);

fn module(error: &'static str) -> DispatchError {
    ("SubtensorModule", error)
}

pub(super) fn swap_error(e: SwapError) -> DispatchError {
    ("Swap", e.name())
}

/// What a stake call moved, as its `StakeAdded` / `StakeRemoved` event says.
fn moved(tao: u64, alpha: u64, fee: u64) -> Moved {
    Moved::stake(StakeMoved {
        tao_rao: tao,
        alpha_rao: alpha,
        swap_fee_rao: fee,
    })
}

/// A price limit: (limit price in rao per alpha, allow_partial).
pub(super) type Limit = Option<(u64, bool)>;

impl ChainState {
    /// The pool of `netuid` for a swap. A missing subnet has `SubnetMechanism` 0 (the storage
    /// default), so it prices like a stable one until the existence check refuses it.
    pub(super) fn reserves(&self, netuid: u16) -> Reserves {
        match self.subnet(netuid) {
            Some(sn) => Reserves {
                tao: sn.config.pool_tao,
                alpha: sn.config.pool_alpha,
                stable: sn.config.swap_mechanism == 0,
                fee_rate: sn.config.fee_rate,
            },
            None => Reserves {
                tao: 0,
                alpha: 0,
                stable: true,
                fee_rate: 0,
            },
        }
    }

    pub(super) fn set_reserves(&mut self, netuid: u16, r: Reserves) {
        if let Some(sn) = self.subnets.get_mut(&netuid) {
            sn.config.pool_tao = r.tao;
            sn.config.pool_alpha = r.alpha;
        }
    }

    /// Gross input above 1000× the input reserve is refused before anything else on dynamic
    /// subnets (`add_stake.rs:191-204`, `remove_stake.rs:409-420`).
    fn within_swap_limit(pool: &Reserves, side: Side, amount: u64) -> Result<(), DispatchError> {
        let reserve = match side {
            Side::Buy => pool.tao,
            Side::Sell => pool.alpha,
        };
        if !pool.stable && amount > reserve.saturating_mul(MAX_INPUT_MULTIPLIER) {
            return Err(module("InsufficientLiquidity"));
        }
        Ok(())
    }

    fn subtoken_enabled(&self, netuid: u16) -> bool {
        self.subnet(netuid)
            .is_some_and(|sn| sn.config.subtoken_enabled)
    }

    /// `add_stake` (no limit: the swap runs to the maximum price) or `add_stake_limit`.
    pub(super) fn add_stake(
        &mut self,
        netuid: u16,
        hotkey: AccountId,
        coldkey: AccountId,
        amount: u64,
        limit: Limit,
    ) -> Result<Moved, DispatchError> {
        let pool = self.reserves(netuid);
        Self::within_swap_limit(&pool, Side::Buy, amount)?;
        // `add_stake_limit` first works out how much the limit lets in: past the price
        // already, it fails here with the swap's own error (`add_stake.rs:143`).
        let (max, price, partial) = match limit {
            None => (amount, MAX_PRICE_RAO, false),
            Some((l, p)) => (pool.max_in(Side::Buy, l).map_err(swap_error)?, l, p),
        };
        let tao = self.validate_add_stake(netuid, &hotkey, &coldkey, amount, max, partial)?;
        let swap = pool.swap(Side::Buy, tao, price, true).map_err(swap_error)?;
        if swap.out == 0 {
            return Err(module("AmountTooLow"));
        }
        // The coldkey pays all of `tao`; the reserve takes the swapped part, the fee goes to
        // the block author (`stake_utils.rs:859-912`).
        let acct = self.account_mut(&coldkey);
        acct.free -= tao;
        self.set_reserves(netuid, pool.after(Side::Buy, &swap));
        self.alpha_pool_mut(netuid, &hotkey).add(&coldkey, swap.out);
        Ok(moved(tao, swap.out, swap.fee))
    }

    /// Returns the TAO to stake: `amount`, or with `allow_partial` what the limit lets in.
    fn validate_add_stake(
        &self,
        netuid: u16,
        hotkey: &AccountId,
        coldkey: &AccountId,
        amount: u64,
        max: u64,
        partial: bool,
    ) -> Result<u64, DispatchError> {
        if self.subnet(netuid).is_none() {
            return Err(module("SubnetNotExists"));
        }
        if !self.subtoken_enabled(netuid) {
            return Err(module("SubtokenDisabled"));
        }
        let pool = self.reserves(netuid);
        let min = self.runtime.min_stake_rao;
        // The minimum is checked on the amount asked for, with the swap fee on top.
        if amount < min + pool.fee(min) {
            return Err(module("AmountTooLow"));
        }
        if !partial && amount > max {
            return Err(module("SlippageTooHigh"));
        }
        let tao = amount.min(max);
        if self.account(coldkey).free < tao {
            return Err(module("NotEnoughBalanceToStake"));
        }
        if !self.owners.contains_key(hotkey) {
            return Err(module("HotKeyAccountNotExists"));
        }
        let sim: Swap = pool
            .swap(Side::Buy, tao, MAX_PRICE_RAO, true)
            .map_err(|_| module("InsufficientLiquidity"))?;
        // A partial fill too small to be a stake.
        if sim.paid_in < min {
            return Err(module("AmountTooLow"));
        }
        let mints = self
            .alpha_pool(netuid, hotkey)
            .is_none_or(|p| p.mints_shares(sim.out));
        if sim.out == 0 || !mints {
            return Err(module("InsufficientLiquidity"));
        }
        Ok(tao)
    }

    /// `remove_stake` (the amount capped at the coldkey's own alpha, no limit) or
    /// `remove_stake_limit`.
    pub(super) fn remove_stake(
        &mut self,
        netuid: u16,
        hotkey: AccountId,
        coldkey: AccountId,
        amount: u64,
        limit: Limit,
    ) -> Result<Moved, DispatchError> {
        let pool = self.reserves(netuid);
        let own = self.stake_of(netuid, &hotkey, &coldkey);
        let (asked, max, price, partial) = match limit {
            None => {
                // `do_remove_stake` checks the subtoken first (a missing subnet included) and
                // never asks for more than the coldkey has (`remove_stake.rs:51-58`).
                if !self.subtoken_enabled(netuid) {
                    return Err(module("SubtokenDisabled"));
                }
                let asked = amount.min(own);
                Self::within_swap_limit(&pool, Side::Sell, asked)?;
                (asked, asked, MIN_PRICE_RAO, false)
            }
            Some((l, p)) => {
                Self::within_swap_limit(&pool, Side::Sell, amount)?;
                let max = pool.max_in(Side::Sell, l).map_err(swap_error)?;
                (amount, max, l, p)
            }
        };
        self.validate_remove_stake(netuid, &hotkey, &pool, own, asked, max, partial)?;
        let alpha = asked.min(max);
        let swap = pool
            .swap(Side::Sell, alpha, price, true)
            .map_err(swap_error)?;
        // What the limit left unswapped goes back to the stake (`stake_utils.rs:757-766`).
        let taken = (swap.paid_in + swap.fee).min(alpha);
        self.alpha_pool_mut(netuid, &hotkey).remove(&coldkey, taken);
        self.account_mut(&coldkey).free += swap.out;
        // The block author's alpha fee is sold fee-less right after (`:771-790`).
        let mut after = pool.after(Side::Sell, &swap);
        if let Ok(cut) = after.swap(Side::Sell, swap.fee, MIN_PRICE_RAO, false) {
            after = after.after(Side::Sell, &cut);
        }
        self.set_reserves(netuid, after);
        Ok(moved(swap.out, swap.paid_in, swap.fee))
    }

    #[allow(clippy::too_many_arguments)]
    fn validate_remove_stake(
        &self,
        netuid: u16,
        hotkey: &AccountId,
        pool: &Reserves,
        own: u64,
        asked: u64,
        max: u64,
        partial: bool,
    ) -> Result<(), DispatchError> {
        if self.subnet(netuid).is_none() {
            return Err(module("SubnetNotExists"));
        }
        if asked == 0 {
            return Err(module("AmountTooLow"));
        }
        if own < asked {
            return Err(module("NotEnoughStakeToWithdraw"));
        }
        let sim = pool
            .swap(Side::Sell, asked, MIN_PRICE_RAO, true)
            .map_err(|_| module("InsufficientLiquidity"))?;
        // Dust out while stake remains is refused; selling everything is not.
        if own > asked && sim.out < self.runtime.min_stake_rao {
            return Err(module("AmountTooLow"));
        }
        if !partial && asked > max {
            return Err(module("SlippageTooHigh"));
        }
        if !self.owners.contains_key(hotkey) {
            return Err(module("HotKeyAccountNotExists"));
        }
        Ok(())
    }
}
