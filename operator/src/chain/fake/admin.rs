//! Admin actions on the fake chain's state: what tests do "as someone else" or as time passing
//! (blocks, parameters, other registrations, pruning, figures, emission). Hotkey swaps are in
//! `swap.rs`, subnet dissolution and registration in `network.rs`.

use serde::Serialize;

use super::config::{patch, RuntimeConfig, SubnetConfig};
use super::ledger::{Call, Submission};
use super::state::{ChainState, Subnet, EXTERNAL_COLDKEY};
use crate::chain::{AccountId, ChainError, TxOutcome, TxParams};

/// HEAD's default delegate take, of u16::MAX (`SubtensorInitialDefaultTake`,
/// `runtime/src/lib.rs:991`: 18 %).
pub const DEFAULT_TAKE: u16 = 11_796;

/// Where an emission went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Emitted {
    /// The hotkey's alpha after it (`TotalHotkeyAlpha`).
    pub total: u64,
    /// The owner coldkey's own alpha after it.
    pub owner: u64,
}

impl ChainState {
    /// Submits `call` signed by `signer` as a wallet would (its next nonce, born at the head):
    /// another party's extrinsic, e.g. a user's `swap_hotkey` with the operator's coldkey.
    pub fn submit_as(&mut self, signer: AccountId, call: Call) -> Result<TxOutcome, ChainError> {
        let tx = TxParams {
            nonce: self.account(&signer).nonce,
            birth_block: self.head,
            period: 64,
        };
        self.submit(Submission {
            signer,
            real: None,
            proxy_type: None,
            tx,
            call,
        })
    }

    pub fn advance(&mut self, blocks: u64) -> u64 {
        self.head += blocks;
        self.head
    }

    /// Creates the subnet if missing, then applies `changes` (keys of [`SubnetConfig`]).
    /// Setting `burn` restarts its decay at the head unless `burn_block` is given too.
    pub fn patch_subnet(
        &mut self,
        netuid: u16,
        changes: &serde_json::Value,
    ) -> Result<SubnetConfig, String> {
        let head = self.head;
        let sn = self.subnets.entry(netuid).or_insert_with(|| {
            Subnet::new(SubnetConfig {
                burn_block: head,
                ..SubnetConfig::default()
            })
        });
        let mut cfg: SubnetConfig = patch(&sn.config, changes)?;
        if changes.get("burn").is_some() && changes.get("burn_block").is_none() {
            cfg.burn_block = head;
        }
        sn.config = cfg.clone();
        Ok(cfg)
    }

    pub fn patch_runtime(&mut self, changes: &serde_json::Value) -> Result<RuntimeConfig, String> {
        self.runtime = patch(&self.runtime, changes)?;
        Ok(self.runtime.clone())
    }

    /// Registers `hotkey` as someone else would (no fee, no ledger entry), owned by `coldkey`
    /// (default: [`EXTERNAL_COLDKEY`]). Optionally raises the burn as a real registration does.
    pub fn register_external(
        &mut self,
        netuid: u16,
        hotkey: AccountId,
        coldkey: Option<AccountId>,
        bump_burn: bool,
    ) -> Result<u16, String> {
        let head = self.head;
        let owner = self.owners.get(&hotkey).copied();
        let coldkey = match (owner, coldkey) {
            (Some(o), Some(c)) if o != c => return Err(format!("hotkey {hotkey} is owned by {o}")),
            (Some(o), _) => o,
            (None, c) => c.unwrap_or(EXTERNAL_COLDKEY),
        };
        let sn = self
            .subnets
            .get_mut(&netuid)
            .ok_or(format!("subnet {netuid} does not exist"))?;
        if sn.uid_of(&hotkey).is_some() {
            return Err(format!("hotkey {hotkey} already registered on {netuid}"));
        }
        let uid = sn.slot_for_new(head).ok_or("NoNeuronIdAvailable")?;
        self.owners.insert(hotkey, coldkey);
        if bump_burn {
            let paid = sn.config.burn_at(head);
            sn.config.bump_after_registration(paid, head);
        }
        sn.place(uid, hotkey, head);
        Ok(uid)
    }

    /// Prunes `hotkey` from `netuid` as the chain would: another hotkey (`replacement`, or a
    /// generated one owned by [`EXTERNAL_COLDKEY`]) takes its uid; its axon entry goes.
    pub fn deregister(
        &mut self,
        netuid: u16,
        hotkey: &AccountId,
        replacement: Option<AccountId>,
    ) -> Result<(u16, AccountId), String> {
        let uid = self
            .uid_of(netuid, hotkey)
            .ok_or(format!("hotkey {hotkey} is not registered on {netuid}"))?;
        let new = replacement.unwrap_or_else(|| {
            self.pruner_seq += 1;
            let mut b = [0xDD; 32];
            b[24..].copy_from_slice(&self.pruner_seq.to_be_bytes());
            AccountId(b)
        });
        self.owners.entry(new).or_insert(EXTERNAL_COLDKEY);
        let head = self.head;
        let sn = self.subnets.get_mut(&netuid).expect("uid_of found it");
        if sn.uid_of(&new).is_some() {
            return Err(format!("replacement {new} already registered on {netuid}"));
        }
        sn.place(uid, new, head);
        Ok((uid, new))
    }

    /// Sets a registered hotkey's figures: any [`NeuronInfo`] field but `uid`, `hotkey`,
    /// `coldkey` and `axon`; `stake` sets its owner's own alpha directly (others' stake on the
    /// hotkey is unchanged); `weights` (`[[uid, weight], ...]`) writes its `Weights` row, as a
    /// reveal does (a commit moves only `last_update`); `mechanism_last_update` (`[block, ...]`)
    /// the `LastUpdate` of mechanisms 1, 2, …. Emission as the chain pays it is
    /// [`ChainState::emit`].
    pub fn set_figures(
        &mut self,
        netuid: u16,
        hotkey: &AccountId,
        changes: &serde_json::Value,
    ) -> Result<(), String> {
        let uid = self
            .uid_of(netuid, hotkey)
            .ok_or(format!("hotkey {hotkey} is not registered on {netuid}"))?;
        let mut changes = changes.clone();
        let obj = changes
            .as_object_mut()
            .ok_or("figures must be a JSON object")?;
        if let Some(k) = ["uid", "hotkey", "coldkey", "axon"]
            .iter()
            .find(|k| obj.contains_key(**k))
        {
            return Err(format!("`{k}` is not a figure"));
        }
        let stake = obj.remove("stake");
        let weights: Option<Vec<(u16, u16)>> = obj
            .remove("weights")
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| format!("weights: expected [[uid, weight], ...]: {e}"))?;
        let mechanisms: Option<Vec<u64>> = obj
            .remove("mechanism_last_update")
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| format!("mechanism_last_update: expected [block, ...]: {e}"))?;
        let sn = self.subnets.get_mut(&netuid).expect("registered");
        if let Some(w) = weights {
            sn.weights.insert(uid, w);
        }
        if let Some(m) = mechanisms {
            sn.mechanism_last_update.insert(uid, m);
        }
        let n = &mut sn.neurons[uid as usize];
        *n = patch(n, &changes)?;
        if let Some(s) = stake {
            let s = s.as_u64().ok_or("stake: expected u64 rao")?;
            let owner = self.owners.get(hotkey).copied().unwrap_or(EXTERNAL_COLDKEY);
            self.set_stake(netuid, hotkey, &owner, s);
        }
        Ok(())
    }

    /// Emission as HEAD's coinbase pays it (`coinbase/run_coinbase.rs:637-762`): a miner's
    /// `incentive` becomes the owner coldkey's own alpha (`:703-725`); of validator
    /// `dividends`, the owner's `take` (of u16::MAX, [`DEFAULT_TAKE`] unless given) is the
    /// owner's own, the rest grows the hotkey's alpha for every staker pro rata to their shares
    /// (`increase_stake_for_hotkey_on_subnet`, `:737-753`). Delegators therefore earn on their
    /// stake, and a coldkey's own stake can grow without it ever staking again.
    pub fn emit(
        &mut self,
        netuid: u16,
        hotkey: &AccountId,
        incentive: u64,
        dividends: u64,
        take: u16,
    ) -> Result<Emitted, String> {
        self.uid_of(netuid, hotkey)
            .ok_or(format!("hotkey {hotkey} is not registered on {netuid}"))?;
        let owner = self.owners.get(hotkey).copied().unwrap_or(EXTERNAL_COLDKEY);
        let cut = (u128::from(dividends) * u128::from(take) / u128::from(u16::MAX)) as u64;
        let pool = self.alpha_pool_mut(netuid, hotkey);
        pool.add(&owner, incentive.saturating_add(cut));
        pool.add_for_all(dividends - cut);
        Ok(Emitted {
            total: pool.total,
            owner: pool.value_of(&owner),
        })
    }
}
