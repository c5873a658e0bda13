//! Hotkey swap, as HEAD's `do_swap_hotkey` runs it (`pallets/subtensor/src/swap/swap_hotkey.rs`):
//! the new hotkey takes the old one's uid on each subnet it swaps (`Uids`, `Keys`, `Axons`
//! move; `BlockAtRegistration` and every per-uid figure stay, they are keyed by uid), the
//! coldkey stays the owner, and the stake of every coldkey on the old hotkey moves to the new
//! one unless `keep_stake`. On one subnet (`netuid` given) `Owner(old)` stays; on all subnets
//! it goes (`:281-282` vs `:405-408`).

use super::state::ChainState;
use crate::chain::AccountId;

/// A dispatch error: (pallet, error name).
type DispatchError = (&'static str, &'static str);

fn module(error: &'static str) -> DispatchError {
    ("SubtensorModule", error)
}

impl ChainState {
    fn registered_anywhere(&self, hotkey: &AccountId) -> bool {
        self.subnets.values().any(|sn| sn.uid_of(hotkey).is_some())
    }

    /// The checks of `do_swap_hotkey` and of its one-subnet branch, in HEAD's order
    /// (`:43-108`, `:364-399`); returns the cost to recycle.
    fn check_swap(
        &self,
        coldkey: &AccountId,
        old: &AccountId,
        new: &AccountId,
        netuid: Option<u16>,
    ) -> Result<u64, DispatchError> {
        if self.owners.get(old) != Some(coldkey) {
            return Err(module("NonAssociatedColdKey"));
        }
        if self.owners.get(new).is_some_and(|o| o != coldkey) {
            return Err(module("NonAssociatedColdKey"));
        }
        if old == new {
            return Err(module("NewHotKeyIsSameWithOld"));
        }
        // `exceeds_tx_rate_limit` (`utils/rate_limiting.rs:256-263`).
        let limit = self.runtime.tx_rate_limit;
        let last = self.swaps.last_tx_block.get(coldkey).copied().unwrap_or(0);
        if limit > 0 && last > 0 && self.head.saturating_sub(last) <= limit {
            return Err(module("HotKeySetTxRateLimitExceeded"));
        }
        let taken = match netuid {
            Some(n) => self.uid_of(n, new).is_some(),
            None => self.registered_anywhere(new),
        };
        if taken {
            return Err(module("HotKeyAlreadyRegisteredInSubNet"));
        }
        let interval = self.runtime.hotkey_swap_on_subnet_interval;
        let last_on = |n: &u16| {
            self.swaps
                .last_on_subnet
                .get(n)
                .and_then(|m| m.get(coldkey))
                .copied()
                .unwrap_or(0)
        };
        // One subnet: always enforced, so a first swap needs a chain older than the interval;
        // all subnets: only where an earlier swap is recorded (`:166-179`).
        let too_soon = match netuid {
            Some(n) => last_on(&n) + interval >= self.head,
            None => self
                .subnets
                .iter()
                .filter(|(_, sn)| sn.uid_of(old).is_some())
                .any(|(n, _)| last_on(n) != 0 && last_on(n) + interval >= self.head),
        };
        if too_soon {
            return Err(module("HotKeySwapOnSubnetIntervalNotPassed"));
        }
        let cost = match netuid {
            Some(_) => self.runtime.key_swap_on_subnet_cost,
            None => self.runtime.key_swap_cost,
        };
        if self.account(coldkey).free < cost {
            return Err(module("NotEnoughBalanceToPaySwapHotKey"));
        }
        Ok(cost)
    }

    /// `swap_hotkey_v2(old, new, netuid, keep_stake)` signed by `coldkey`; returns the cost
    /// recycled (`KeySwapOnSubnetCost` for one subnet, `KeySwapCost` for all).
    pub(super) fn swap_hotkey(
        &mut self,
        coldkey: AccountId,
        old: AccountId,
        new: AccountId,
        netuid: Option<u16>,
        keep_stake: bool,
    ) -> Result<u64, DispatchError> {
        let cost = self.check_swap(&coldkey, &old, &new, netuid)?;
        self.account_mut(&coldkey).free -= cost;
        if netuid.is_none() {
            self.owners.remove(&old);
        }
        self.owners.insert(new, coldkey);
        let netuids: Vec<u16> = match netuid {
            Some(n) => vec![n],
            None => self.subnets.keys().copied().collect(),
        };
        let head = self.head;
        for n in netuids {
            let swapped = self.swap_on_subnet(n, &old, &new, keep_stake);
            // The cooldown is recorded where the old hotkey took part (`:159-165`, `:210-213`).
            if swapped || netuid.is_some() {
                let by = self.swaps.last_on_subnet.entry(n).or_default();
                by.insert(coldkey, head);
            }
        }
        self.swaps.last_tx_block.insert(coldkey, head);
        Ok(cost)
    }

    /// `perform_hotkey_swap_on_one_subnet` (`:451-717`): the uid (if registered) and, unless
    /// `keep_stake`, each coldkey's alpha. Returns whether the old hotkey held a uid there.
    fn swap_on_subnet(
        &mut self,
        netuid: u16,
        old: &AccountId,
        new: &AccountId,
        keep_stake: bool,
    ) -> bool {
        let mut swapped = false;
        if let Some(sn) = self.subnets.get_mut(&netuid) {
            if let Some(uid) = sn.uid_of(old) {
                sn.neurons[uid as usize].hotkey = *new;
                swapped = true;
            }
        }
        if keep_stake {
            return swapped;
        }
        // Each coldkey's value leaves the old pool and buys shares in the new one
        // (`:653-673`); rounding dust stays behind.
        let Some(old_pool) = self.alpha_pool(netuid, old).cloned() else {
            return swapped;
        };
        for coldkey in old_pool.coldkeys() {
            let value = self.stake_of(netuid, old, &coldkey);
            self.alpha_pool_mut(netuid, old).remove(&coldkey, value);
            self.alpha_pool_mut(netuid, new).add(&coldkey, value);
        }
        swapped
    }
}
