//! Subnet dissolution and registration, as HEAD runs them: `do_dissolve_network`
//! (`coinbase/root.rs:206-228`) refunds the pool's TAO to the stakers and removes everything of
//! the netuid (`remove_network`, `:230-…`); `do_register_network` (`subnets/subnet.rs:115-291`)
//! reuses a pruned netuid with a new `NetworkRegisteredAt`, the owner's hotkey as uid 0, fresh
//! parameters and a fresh pool. The netuid then names another subnet: a registration made on the
//! old one means nothing there.

use serde::Serialize;

use super::config::{patch, SubnetConfig, TAO};
use super::state::{ChainState, Subnet};
use crate::chain::AccountId;

/// TAO credited to a staker's coldkey when its subnet was dissolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refund {
    pub hotkey: AccountId,
    pub coldkey: AccountId,
    pub alpha: u64,
    pub tao: u64,
}

/// `pot × weight / total` for each weight, rounded down, the rest handed out one rao at a time
/// to the largest remainders (`remove_stake.rs:548-602`).
fn largest_remainder(pot: u64, weights: &[u128]) -> Vec<u64> {
    let total: u128 = weights.iter().sum();
    if total == 0 {
        return vec![0; weights.len()];
    }
    let pot = u128::from(pot);
    let mut shares: Vec<u64> = weights.iter().map(|w| (pot * w / total) as u64).collect();
    let given: u128 = shares.iter().map(|s| u128::from(*s)).sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Stable: equal remainders keep their order.
    order.sort_by_key(|i| std::cmp::Reverse(pot * weights[*i] % total));
    for i in order.into_iter().take((pot - given) as usize) {
        shares[i] += 1;
    }
    shares
}

impl ChainState {
    /// `do_dissolve_network(netuid)` (root only on chain, `macros/dispatches.rs:1233-1244`).
    /// `SubnetTAO` is shared out by alpha value among the stakers and the protocol's alpha
    /// (`SubnetAlphaIn`, counted for subnets registered since the refund change,
    /// `remove_stake.rs:493-503`); the protocol's part is recycled, each staker's goes to its
    /// coldkey's free balance (`:604-612`). Then the stakes, uids, axons, figures, pool and
    /// parameters of the netuid are gone; owners (`Owner(hotkey)`) are global and stay. The
    /// owner's lock refund of legacy subnets is not modelled.
    pub fn dissolve_network(&mut self, netuid: u16) -> Result<Vec<Refund>, String> {
        let sn = match self.subnets.get(&netuid) {
            Some(sn) if netuid != 0 => sn,
            _ => return Err("SubnetNotExists".into()),
        };
        let (pot, protocol) = (sn.config.pool_tao, sn.config.pool_alpha);
        let mut refunds = Vec::new();
        for (hotkey, pool) in self.stakes.get(&netuid).into_iter().flatten() {
            for coldkey in pool.coldkeys() {
                let alpha = pool.value_of(&coldkey);
                if alpha > 0 {
                    refunds.push(Refund {
                        hotkey: *hotkey,
                        coldkey,
                        alpha,
                        tao: 0,
                    });
                }
            }
        }
        let mut weights: Vec<u128> = refunds.iter().map(|r| u128::from(r.alpha)).collect();
        weights.push(u128::from(protocol));
        let shares = largest_remainder(pot, &weights);
        for (r, tao) in refunds.iter_mut().zip(shares) {
            r.tao = tao;
            self.account_mut(&r.coldkey).free += tao;
        }
        self.stakes.remove(&netuid);
        self.subnets.remove(&netuid);
        self.swaps.last_on_subnet.remove(&netuid);
        Ok(refunds)
    }

    /// `do_register_network` at `netuid`, which must be free (never used, or dissolved): what
    /// the chain does when it prunes a subnet to make room (`subnet.rs:152-185`). The owner's
    /// hotkey becomes uid 0; `NetworkRegisteredAt` is the head; parameters are
    /// `init_new_network`'s (`:294-330`: registration on, 256 uids, immunity 5000, burn 1 TAO)
    /// on a dynamic pool of `lock_rao` TAO priced at 1 (the chain prices it at the median subnet
    /// price, `:221-241`), and staking stays off until the owner's `start_call`. `changes`
    /// (keys of [`SubnetConfig`]) are applied last. No lock is charged: the owner is someone else.
    pub fn register_network(
        &mut self,
        netuid: u16,
        coldkey: AccountId,
        hotkey: AccountId,
        lock_rao: u64,
        changes: &serde_json::Value,
    ) -> Result<SubnetConfig, String> {
        if netuid == 0 || self.subnets.contains_key(&netuid) {
            return Err(format!("netuid {netuid} is in use: dissolve it first"));
        }
        if self.owners.get(&hotkey).is_some_and(|o| *o != coldkey) {
            return Err("NonAssociatedColdKey".into());
        }
        let head = self.head;
        let fresh = SubnetConfig {
            burn: TAO,
            burn_block: head,
            registration_allowed: true,
            max_allowed_uids: 256,
            immunity_period: 5000,
            swap_mechanism: 1,
            subtoken_enabled: false,
            pool_tao: lock_rao,
            pool_alpha: lock_rao,
            registered_at: head,
            ..SubnetConfig::default()
        };
        let config = match changes {
            serde_json::Value::Null => fresh,
            c => patch(&fresh, c)?,
        };
        let mut sn = Subnet::new(config.clone());
        sn.place(0, hotkey, head);
        self.owners.insert(hotkey, coldkey);
        self.subnets.insert(netuid, sn);
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::largest_remainder;

    #[test]
    fn the_pot_is_shared_by_weight_to_the_last_rao() {
        assert_eq!(largest_remainder(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(largest_remainder(100, &[3, 1]), vec![75, 25]);
        // 7 × 2/3 = 4.67, 7 × 1/3 = 2.33: the larger remainder gets the last rao.
        assert_eq!(largest_remainder(7, &[2, 1]), vec![5, 2]);
        assert_eq!(largest_remainder(5, &[0, 0]), vec![0, 0]);
        assert_eq!(largest_remainder(0, &[1, 2]), vec![0, 0]);
    }
}
