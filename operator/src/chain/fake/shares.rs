//! One hotkey's alpha on one subnet, kept as HEAD keeps it: a share pool
//! (`primitives/share-pool/src/lib.rs`). `total` is `TotalHotkeyAlpha`, each coldkey holds
//! shares (`Alpha`/`AlphaV2`) of it out of `denominator` (`TotalHotkeyShares(V2)`), and a
//! coldkey's own alpha is `total × share / denominator` (`:420-429`). So emission added to the
//! hotkey as a whole (`increase_stake_for_hotkey_on_subnet`, `staking/stake_utils.rs:545-551`)
//! is every staker's pro rata, while a stake or an owner's cut adds shares to one coldkey only.
//! Integer shares here; the chain's `SafeFloat` can differ by a rao of alpha.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chain::AccountId;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotkeyAlpha {
    /// `TotalHotkeyAlpha`, alpha-rao: what the snapshot shows as the hotkey's stake.
    pub total: u64,
    pub denominator: u128,
    pub shares: BTreeMap<AccountId, u128>,
}

/// `a × b / c` rounded down, without overflowing for the magnitudes met here.
fn mul_div(a: u128, b: u128, c: u128) -> u128 {
    if c == 0 {
        return 0;
    }
    match a.checked_mul(b) {
        Some(p) => p / c,
        None => (a as f64 * b as f64 / c as f64) as u128,
    }
}

impl HotkeyAlpha {
    /// The alpha `coldkey` owns (`get_value`): 0 without shares.
    pub fn value_of(&self, coldkey: &AccountId) -> u64 {
        let share = self.shares.get(coldkey).copied().unwrap_or(0);
        mul_div(u128::from(self.total), share, self.denominator) as u64
    }

    /// Shares that `amount` of alpha is worth now (`get_shares_per_update`).
    fn shares_for(&self, amount: u64) -> u128 {
        mul_div(u128::from(amount), self.denominator, u128::from(self.total))
    }

    /// Whether adding `amount` for one coldkey would give it any share: the chain refuses a
    /// stake that would not (`InsufficientLiquidity`, `stake_utils.rs:1122-1128` through
    /// `sim_update_value_for_one`).
    pub fn mints_shares(&self, amount: u64) -> bool {
        self.denominator == 0 || self.shares_for(amount) > 0
    }

    /// `increase_stake_for_hotkey_and_coldkey_on_subnet`: `amount` becomes `coldkey`'s; the
    /// first staker of an empty pool gets all of it (`update_value_for_one`, `:491-572`).
    pub fn add(&mut self, coldkey: &AccountId, amount: u64) {
        if amount == 0 {
            return;
        }
        if self.denominator == 0 {
            self.denominator = u128::from(amount);
            self.shares = BTreeMap::from([(*coldkey, u128::from(amount))]);
        } else {
            let minted = self.shares_for(amount);
            self.denominator += minted;
            *self.shares.entry(*coldkey).or_default() += minted;
        }
        self.total = self.total.saturating_add(amount);
    }

    /// `decrease_stake_for_hotkey_and_coldkey_on_subnet`: only when `coldkey` owns at least
    /// `amount` (`stake_utils.rs:618-633`); an emptied pool starts afresh.
    pub fn remove(&mut self, coldkey: &AccountId, amount: u64) {
        if self.value_of(coldkey) < amount || amount == 0 {
            return;
        }
        let burned = self.shares_for(amount);
        let share = self.shares.entry(*coldkey).or_default();
        *share = share.saturating_sub(burned);
        if *share == 0 {
            self.shares.remove(coldkey);
        }
        self.denominator = self.denominator.saturating_sub(burned);
        self.total = self.total.saturating_sub(amount);
        if self.shares.is_empty() {
            self.denominator = 0;
        }
    }

    /// `increase_stake_for_hotkey_on_subnet` (`update_value_for_all`): every staker's alpha
    /// grows by their share of `amount`.
    pub fn add_for_all(&mut self, amount: u64) {
        self.total = self.total.saturating_add(amount);
    }

    /// Sets `coldkey`'s alpha to `value` (an admin shortcut: the difference is added or
    /// removed as a stake would).
    pub fn set(&mut self, coldkey: &AccountId, value: u64) {
        let now = self.value_of(coldkey);
        match value.cmp(&now) {
            std::cmp::Ordering::Greater => self.add(coldkey, value - now),
            std::cmp::Ordering::Less => self.remove(coldkey, now - value),
            std::cmp::Ordering::Equal => {}
        }
    }

    pub fn coldkeys(&self) -> Vec<AccountId> {
        self.shares.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: u8) -> AccountId {
        AccountId([n; 32])
    }

    #[test]
    fn stakes_are_own_and_emission_is_pro_rata() {
        let mut p = HotkeyAlpha::default();
        p.add(&c(1), 300);
        p.add(&c(2), 100);
        assert_eq!(
            (p.total, p.value_of(&c(1)), p.value_of(&c(2))),
            (400, 300, 100)
        );
        // Emission to the hotkey as a whole: 3:1.
        p.add_for_all(400);
        assert_eq!(
            (p.total, p.value_of(&c(1)), p.value_of(&c(2))),
            (800, 600, 200)
        );
        // A later staker buys in at the grown value per share: no part of past emission.
        p.add(&c(3), 200);
        assert_eq!(p.value_of(&c(3)), 200);
        assert_eq!((p.value_of(&c(1)), p.value_of(&c(2))), (600, 200));
        assert_eq!(p.value_of(&c(9)), 0);
        // Removing more than one owns does nothing; removing what one owns leaves the others.
        p.remove(&c(2), 201);
        assert_eq!(p.total, 1000);
        p.remove(&c(2), 200);
        assert_eq!(
            (p.total, p.value_of(&c(2)), p.value_of(&c(1))),
            (800, 0, 600)
        );
        assert!(!p.shares.contains_key(&c(2)));
        p.set(&c(1), 50);
        p.set(&c(3), 250);
        assert_eq!(
            (p.value_of(&c(1)), p.value_of(&c(3)), p.total),
            (50, 250, 300)
        );
        // Emptied, the pool starts afresh: the next staker owns all of it.
        p.remove(&c(1), 50);
        p.remove(&c(3), 250);
        assert_eq!((p.total, p.denominator), (0, 0));
        p.add(&c(4), 7);
        assert_eq!(p.value_of(&c(4)), 7);
    }

    #[test]
    fn a_stake_too_small_for_a_share_is_told() {
        let mut p = HotkeyAlpha::default();
        assert!(p.mints_shares(1));
        p.add(&c(1), 1);
        p.add_for_all(1_000_000);
        // One alpha-rao is worth less than one share now.
        assert!(!p.mints_shares(1));
        assert!(p.mints_shares(1_000_001));
    }
}
