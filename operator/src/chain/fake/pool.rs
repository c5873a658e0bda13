//! The fake chain's subnet pool: spec 218's constant-product AMM (which HEAD's balancer pool
//! equals at its default 0.5/0.5 weights, `pallets/swap/src/pallet/balancer.rs:220-228`), or a
//! stable 1:1 pool (`SubnetMechanism` 0, HEAD `pallets/swap/src/pallet/impls.rs:21-35`).
//! Limit prices are in rao per 1 alpha, as `add_stake_limit` / `remove_stake_limit` take them
//! (HEAD `macros/dispatches.rs:1619-1624`). Pure.

use crate::chain::RAO_PER_TAO;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reserves {
    pub tao: u64,
    pub alpha: u64,
    /// Stable subnet: 1 TAO buys 1 alpha, the price never moves.
    pub stable: bool,
}

impl Reserves {
    fn k(&self) -> u128 {
        u128::from(self.tao) * u128::from(self.alpha)
    }

    /// Alpha out for `tao` in.
    pub fn buy(&self, tao: u64) -> u64 {
        if self.stable {
            return tao;
        }
        let new_tao = u128::from(self.tao) + u128::from(tao);
        let new_alpha = self.k().div_ceil(new_tao.max(1));
        (u128::from(self.alpha).saturating_sub(new_alpha)) as u64
    }

    /// TAO out for `alpha` in.
    pub fn sell(&self, alpha: u64) -> u64 {
        if self.stable {
            return alpha;
        }
        let new_alpha = u128::from(self.alpha) + u128::from(alpha);
        let new_tao = self.k().div_ceil(new_alpha.max(1));
        (u128::from(self.tao).saturating_sub(new_tao)) as u64
    }

    /// The most TAO that can go in before the price passes `limit` (rao per alpha).
    pub fn max_buy(&self, limit: u64) -> u64 {
        if self.stable {
            return if limit >= RAO_PER_TAO { u64::MAX } else { 0 };
        }
        // price' = tao'^2 / k ≤ limit/1e9  ⇔  tao' ≤ sqrt(limit/1e9 · k)
        let max_tao = (limit as f64 / RAO_PER_TAO as f64 * self.k() as f64).sqrt();
        (max_tao - self.tao as f64).max(0.0).floor() as u64
    }

    /// The most alpha that can go in before the price falls below `limit`.
    pub fn max_sell(&self, limit: u64) -> u64 {
        if self.stable {
            return if limit <= RAO_PER_TAO { u64::MAX } else { 0 };
        }
        if limit == 0 {
            return u64::MAX;
        }
        // price' = k / alpha'^2 ≥ limit/1e9  ⇔  alpha' ≤ sqrt(k · 1e9/limit)
        let max_alpha = (self.k() as f64 * RAO_PER_TAO as f64 / limit as f64).sqrt();
        (max_alpha - self.alpha as f64).max(0.0).floor() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const TAO: u64 = RAO_PER_TAO;

    #[test]
    fn constant_product_swaps() {
        // 4 TAO per alpha: 4000 TAO / 1000 alpha.
        let r = Reserves {
            tao: 4000 * TAO,
            alpha: 1000 * TAO,
            stable: false,
        };
        // 2 TAO buy just under 0.5 alpha (slippage), never more.
        let a = r.buy(2 * TAO);
        assert!(a < TAO / 2 && a > TAO / 2 - TAO / 1000, "{a}");
        // Selling that back returns at most what was paid.
        let after = Reserves {
            tao: r.tao + 2 * TAO,
            alpha: r.alpha - a,
            stable: false,
        };
        assert!(after.sell(a) <= 2 * TAO);
        // At 1 % above the price, about 0.5 % of the TAO reserve can go in.
        let max = r.max_buy(4 * TAO + 4 * TAO / 100);
        assert!((19 * TAO..=20 * TAO).contains(&max), "{max}");
        assert_eq!(
            r.max_buy(3 * TAO),
            0,
            "a limit below the price buys nothing"
        );
        // At 1 % below it, about 0.5 % of the alpha reserve can be sold.
        let max = r.max_sell(4 * TAO - 4 * TAO / 100);
        assert!((5 * TAO..=6 * TAO).contains(&max), "{max}");
        assert_eq!(r.max_sell(5 * TAO), 0);
    }

    #[test]
    fn stable_pools_are_one_to_one() {
        let r = Reserves {
            tao: 1,
            alpha: 1,
            stable: true,
        };
        assert_eq!((r.buy(7), r.sell(5)), (7, 5));
        assert_eq!(r.max_buy(TAO), u64::MAX);
        assert_eq!(r.max_buy(TAO - 1), 0);
        assert_eq!(r.max_sell(TAO), u64::MAX);
        assert_eq!(r.max_sell(TAO + 1), 0);
    }
}
