//! Registration by burn, with the real chain's checks in its order (HEAD
//! `subnets/registration.rs:38-163`; older runtimes' per-block / per-interval limits when
//! configured). Staking is in `stake.rs`.

use super::pool::{Side, MAX_PRICE_RAO};
use super::stake::swap_error;
use super::state::ChainState;
use crate::chain::AccountId;

/// A dispatch error: (pallet, error name).
type DispatchError = (&'static str, &'static str);

fn module(error: &'static str) -> DispatchError {
    ("SubtensorModule", error)
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
        // The burn buys alpha from the pool, which is then burned: on a dynamic subnet every
        // registration raises the price (`registration.rs:98-112`).
        let pool = self.reserves(netuid);
        let bought = pool
            .swap(Side::Buy, burn, MAX_PRICE_RAO, true)
            .map_err(swap_error)?;
        self.set_reserves(netuid, pool.after(Side::Buy, &bought));
        self.account_mut(&coldkey).free -= burn;
        self.owners.insert(hotkey, coldkey);
        let sn = self.subnets.get_mut(&netuid).expect("checked above");
        sn.place(uid, hotkey, head);
        sn.config.bump_after_registration(burn, head);
        Ok(burn)
    }
}
