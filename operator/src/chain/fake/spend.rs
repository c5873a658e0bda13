//! The calls that move a coldkey's TAO: registration by burn and stake through the subnet pool,
//! with the real chain's checks in its order (HEAD `subnets/registration.rs:38-163`,
//! `staking/stake_utils.rs:1057-1185`; older runtimes' per-block / per-interval limits when
//! configured).

use super::dispatch::Moved;
use super::state::ChainState;
use crate::chain::{AccountId, StakeMoved};

/// A dispatch error: (pallet, error name).
type DispatchError = (&'static str, &'static str);

fn module(error: &'static str) -> DispatchError {
    ("SubtensorModule", error)
}

/// What a stake call moved.
fn moved(tao: u64, alpha: u64) -> Moved {
    Moved::stake(StakeMoved {
        tao_rao: tao,
        alpha_rao: alpha,
        swap_fee_rao: 0,
    })
}

impl ChainState {
    /// Returns the burn paid.
    pub(super) fn register(
        &mut self,
        netuid: u16,
        hotkey: AccountId,
        limit: Option<u64>,
        coldkey: AccountId,
    ) -> Result<u64, DispatchError> {
        let head = self.head;
        if netuid == 0 {
            return Err(module("RegistrationNotPermittedOnRootSubnet"));
        }
        let sn = self
            .subnet(netuid)
            .ok_or(module("SubnetNotExists"))?
            .clone();
        let cfg = &sn.config;
        let burn = cfg.burn_at(head);
        // register_limit checks the price before anything else (HEAD `registration.rs:156-159`).
        if limit.is_some_and(|l| burn > l) {
            return Err(module("RegistrationPriceLimitExceeded"));
        }
        if !cfg.registration_allowed {
            return Err(module("SubNetRegistrationDisabled"));
        }
        let this_block = sn.registration_blocks.iter().filter(|b| **b == head);
        if cfg
            .max_regs_per_block
            .is_some_and(|m| this_block.count() >= m as usize)
        {
            return Err(module("TooManyRegistrationsThisBlock"));
        }
        let interval = cfg.regs_interval_blocks.max(1);
        let start = head - head % interval;
        let this_interval = sn.registration_blocks.iter().filter(|b| **b >= start);
        if cfg
            .max_regs_per_interval
            .is_some_and(|m| this_interval.count() >= m as usize)
        {
            return Err(module("TooManyRegistrationsThisInterval"));
        }
        if sn.uid_of(&hotkey).is_some() {
            return Err(module("HotKeyAlreadyRegisteredInSubNet"));
        }
        if self.account(&coldkey).free < burn {
            return Err(module("NotEnoughBalanceToStake"));
        }
        if self.owners.get(&hotkey).is_some_and(|o| *o != coldkey) {
            return Err(module("NonAssociatedColdKey"));
        }
        let uid = sn.slot_for_new(head).ok_or(module("NoNeuronIdAvailable"))?;
        self.account_mut(&coldkey).free -= burn;
        self.owners.insert(hotkey, coldkey);
        let sn = self.subnets.get_mut(&netuid).expect("checked above");
        sn.place(uid, hotkey, head);
        sn.config.bump_after_registration(burn, head);
        Ok(burn)
    }

    /// `add_stake` (no limit) or `add_stake_limit` ((max price, allow_partial)).
    pub(super) fn add_stake(
        &mut self,
        netuid: u16,
        hotkey: AccountId,
        coldkey: AccountId,
        amount: u64,
        limit: Option<(u64, bool)>,
    ) -> Result<Moved, DispatchError> {
        let min = self.runtime.min_stake_rao;
        let sn = self.subnet(netuid).ok_or(module("SubnetNotExists"))?;
        if !sn.config.subtoken_enabled {
            return Err(module("SubtokenDisabled"));
        }
        if amount < min {
            return Err(module("AmountTooLow"));
        }
        let pool = self.reserves(netuid).expect("subnet exists");
        let mut tao = amount;
        if let Some((price, partial)) = limit {
            let max = pool.max_buy(price);
            if tao > max {
                if !partial {
                    return Err(module("SlippageTooHigh"));
                }
                tao = max;
            }
            if tao < min {
                return Err(module("AmountTooLow"));
            }
        }
        if self.account(&coldkey).free < tao {
            return Err(module("NotEnoughBalanceToStake"));
        }
        if !self.owners.contains_key(&hotkey) {
            return Err(module("HotKeyAccountNotExists"));
        }
        let alpha = pool.buy(tao);
        if alpha == 0 {
            return Err(module("InsufficientLiquidity"));
        }
        self.account_mut(&coldkey).free -= tao;
        let staked = self.stake_of(netuid, &hotkey, &coldkey);
        self.set_stake(netuid, &hotkey, &coldkey, staked + alpha);
        if !pool.stable {
            self.move_pool(netuid, i128::from(tao), -i128::from(alpha));
        }
        Ok(moved(tao, alpha))
    }

    /// `remove_stake` (no limit) or `remove_stake_limit` ((min price, allow_partial)).
    pub(super) fn remove_stake(
        &mut self,
        netuid: u16,
        hotkey: AccountId,
        coldkey: AccountId,
        amount: u64,
        limit: Option<(u64, bool)>,
    ) -> Result<Moved, DispatchError> {
        self.subnet(netuid).ok_or(module("SubnetNotExists"))?;
        if amount == 0 {
            return Err(module("AmountTooLow"));
        }
        let staked = self.stake_of(netuid, &hotkey, &coldkey);
        if staked < amount {
            return Err(module("NotEnoughStakeToWithdraw"));
        }
        let pool = self.reserves(netuid).expect("subnet exists");
        let mut alpha = amount;
        if let Some((price, partial)) = limit {
            let max = pool.max_sell(price);
            if alpha > max {
                if !partial {
                    return Err(module("SlippageTooHigh"));
                }
                alpha = max;
            }
        }
        let tao = pool.sell(alpha);
        // Dust out while stake remains is refused (HEAD `stake_utils.rs:1135-1185`).
        if tao < self.runtime.min_stake_rao && staked > alpha {
            return Err(module("AmountTooLow"));
        }
        if !self.owners.contains_key(&hotkey) {
            return Err(module("HotKeyAccountNotExists"));
        }
        self.set_stake(netuid, &hotkey, &coldkey, staked - alpha);
        self.account_mut(&coldkey).free += tao;
        if !pool.stable {
            self.move_pool(netuid, -i128::from(tao), i128::from(alpha));
        }
        Ok(moved(tao, alpha))
    }
}
