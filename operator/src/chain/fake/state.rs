//! The fake chain's state and its reads and admin actions. Pure and deterministic: no clock, no
//! I/O; the head only moves when told to. Extrinsics are in `dispatch.rs`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::config::{patch, Genesis, ProxyGrant, RuntimeConfig, SubnetConfig};
use super::ledger::LedgerEntry;
use crate::chain::{
    AccountId, ColdkeySwap, NeuronInfo, OwnStake, Pool, SnapshotQuery, SubnetParams,
    SubnetSnapshot, RAO_PER_TAO,
};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub free: u64,
    pub nonce: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Subnet {
    pub config: SubnetConfig,
    /// Indexed by uid; a pruned uid is taken over by the new hotkey, never removed. `uid`,
    /// `coldkey` and `stake` are filled in by [`ChainState::snapshot`].
    pub neurons: Vec<NeuronInfo>,
    /// Blocks of past registrations (for the per-block / per-interval rate limits).
    pub registration_blocks: Vec<u64>,
}

impl Subnet {
    pub fn new(config: SubnetConfig) -> Self {
        Self {
            config,
            neurons: Vec::new(),
            registration_blocks: Vec::new(),
        }
    }

    pub fn uid_of(&self, hotkey: &AccountId) -> Option<u16> {
        self.neurons
            .iter()
            .position(|n| &n.hotkey == hotkey)
            .map(|u| u as u16)
    }

    /// The uid a new registration at `block` gets: the next free one, or on a full subnet the
    /// non-immune uid with the lowest emission (ties: oldest registration, then lowest uid).
    pub fn slot_for_new(&self, block: u64) -> Option<u16> {
        if self.neurons.len() < self.config.max_allowed_uids as usize {
            return Some(self.neurons.len() as u16);
        }
        let immunity = self.config.immunity_period as u64;
        self.neurons
            .iter()
            .enumerate()
            .filter(|(_, n)| block.saturating_sub(n.registered_at_block) >= immunity)
            .min_by_key(|(uid, n)| (n.emission, n.registered_at_block, *uid))
            .map(|(uid, _)| uid as u16)
    }

    /// Puts `hotkey` at `uid` (appending or replacing); the replaced hotkey's axon goes with it.
    pub fn place(&mut self, uid: u16, hotkey: AccountId, block: u64) {
        let neuron = NeuronInfo {
            uid,
            hotkey,
            coldkey: hotkey,
            active: true,
            axon: None,
            stake: 0,
            rank: 0.0,
            trust: 0.0,
            consensus: 0.0,
            incentive: 0.0,
            dividends: 0.0,
            validator_trust: Some(0.0),
            emission: 0,
            last_update: block,
            validator_permit: false,
            registered_at_block: block,
        };
        match self.neurons.get_mut(uid as usize) {
            Some(slot) => *slot = neuron,
            None => self.neurons.push(neuron),
        }
        self.registration_blocks.push(block);
    }
}

/// The whole fake chain.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ChainState {
    pub head: u64,
    pub runtime: RuntimeConfig,
    pub subnets: BTreeMap<u16, Subnet>,
    pub accounts: BTreeMap<AccountId, Account>,
    /// `Owner(hotkey) -> coldkey`.
    pub owners: BTreeMap<AccountId, AccountId>,
    /// Alpha by netuid, hotkey, coldkey, alpha-rao.
    pub stakes: BTreeMap<u16, BTreeMap<AccountId, BTreeMap<AccountId, u64>>>,
    /// `Proxy.Proxies`: who may act for whom, as which proxy type.
    pub proxies: BTreeSet<ProxyGrant>,
    /// Announced coldkey swaps (`ColdkeySwapAnnouncements` / `ColdkeySwapDisputes`).
    #[serde(default)]
    pub coldkey_swaps: BTreeMap<AccountId, ColdkeySwap>,
    pub ledger: Vec<LedgerEntry>,
    /// Counter for the hotkeys that take over a uid pruned by an admin.
    pub pruner_seq: u64,
}

/// Coldkey that owns hotkeys registered "by someone else" (admin external registrations).
pub const EXTERNAL_COLDKEY: AccountId = AccountId([0xEE; 32]);

impl ChainState {
    pub fn from_genesis(g: Genesis) -> Self {
        let mut state = ChainState {
            head: g.head,
            runtime: g.runtime,
            proxies: g.proxies.into_iter().collect(),
            ..Default::default()
        };
        for (netuid, mut cfg) in g.subnets {
            // An unset (0) burn_block means "the burn given is the burn at the genesis head".
            if cfg.burn_block == 0 {
                cfg.burn_block = g.head;
            }
            state.subnets.insert(netuid, Subnet::new(cfg));
        }
        for (acct, free) in g.balances {
            state.account_mut(&acct).free = free;
        }
        state
    }

    pub fn account(&self, id: &AccountId) -> Account {
        self.accounts.get(id).cloned().unwrap_or_default()
    }

    pub fn account_mut(&mut self, id: &AccountId) -> &mut Account {
        self.accounts.entry(*id).or_default()
    }

    pub fn subnet(&self, netuid: u16) -> Option<&Subnet> {
        self.subnets.get(&netuid)
    }

    pub fn uid_of(&self, netuid: u16, hotkey: &AccountId) -> Option<u16> {
        self.subnet(netuid)?.uid_of(hotkey)
    }

    pub fn total_stake(&self, netuid: u16, hotkey: &AccountId) -> u64 {
        self.stakes
            .get(&netuid)
            .and_then(|m| m.get(hotkey))
            .map_or(0, |m| m.values().sum())
    }

    pub fn stake_of(&self, netuid: u16, hotkey: &AccountId, coldkey: &AccountId) -> u64 {
        self.stakes
            .get(&netuid)
            .and_then(|m| m.get(hotkey))
            .and_then(|m| m.get(coldkey))
            .copied()
            .unwrap_or(0)
    }

    pub fn set_stake(&mut self, netuid: u16, hotkey: &AccountId, coldkey: &AccountId, v: u64) {
        self.stakes
            .entry(netuid)
            .or_default()
            .entry(*hotkey)
            .or_default()
            .insert(*coldkey, v);
    }

    /// The pool as the snapshot reports it: stable subnets price at 1.
    pub fn pool(&self, netuid: u16) -> Option<Pool> {
        let c = &self.subnet(netuid)?.config;
        let price_rao = match c.swap_mechanism {
            0 => RAO_PER_TAO,
            _ => Pool::reserve_price_rao(c.pool_tao, c.pool_alpha),
        };
        Some(Pool {
            tao_in: c.pool_tao,
            alpha_in: c.pool_alpha,
            price_rao,
        })
    }

    pub fn snapshot(&self, netuid: u16, query: &SnapshotQuery) -> Option<SubnetSnapshot> {
        let sn = self.subnet(netuid)?;
        let c = &sn.config;
        let params = SubnetParams {
            burn: c.burn_at(self.head),
            min_burn: c.min_burn,
            max_burn: c.max_burn,
            difficulty: c.difficulty,
            registration_allowed: c.registration_allowed,
            tempo: c.tempo,
            immunity_period: c.immunity_period,
            subnetwork_n: sn.neurons.len() as u16,
            max_allowed_uids: c.max_allowed_uids,
            serving_rate_limit: c.serving_rate_limit,
            activity_cutoff: c.activity_cutoff,
            weights_rate_limit: c.weights_rate_limit,
            weights_version: c.weights_version,
            commit_reveal_enabled: c.commit_reveal_enabled,
            network_registered_at: c.registered_at,
            mechanism_count: c.mechanism_count,
            // The fake runs the legacy epoch schedule.
            last_epoch_block: None,
        };
        let neurons = sn
            .neurons
            .iter()
            .enumerate()
            .map(|(uid, n)| NeuronInfo {
                uid: uid as u16,
                coldkey: self.owners.get(&n.hotkey).copied().unwrap_or(n.hotkey),
                stake: self.total_stake(netuid, &n.hotkey),
                ..n.clone()
            })
            .collect();
        let stakes = query
            .stakes
            .iter()
            .map(|(hotkey, coldkey)| OwnStake {
                hotkey: *hotkey,
                coldkey: *coldkey,
                alpha: self.stake_of(netuid, hotkey, coldkey),
            })
            .collect();
        Some(SubnetSnapshot {
            netuid,
            block: self.head,
            params,
            neurons,
            pool: self.pool(netuid),
            stakes,
        })
    }

    /// A copy for reading only: everything but the ledger (which reads never use).
    pub fn without_ledger(&self) -> ChainState {
        ChainState {
            head: self.head,
            runtime: self.runtime.clone(),
            subnets: self.subnets.clone(),
            accounts: self.accounts.clone(),
            owners: self.owners.clone(),
            stakes: self.stakes.clone(),
            proxies: self.proxies.clone(),
            coldkey_swaps: self.coldkey_swaps.clone(),
            ledger: Vec::new(),
            pruner_seq: self.pruner_seq,
        }
    }

    // ---- admin actions ----

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
    /// `coldkey` and `axon`; `stake` sets its owner's alpha (emission compounding into it).
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
        let n = &mut self.subnets.get_mut(&netuid).expect("registered").neurons[uid as usize];
        *n = patch(n, &changes)?;
        if let Some(s) = stake {
            let s = s.as_u64().ok_or("stake: expected u64 rao")?;
            let owner = self.owners.get(hotkey).copied().unwrap_or(EXTERNAL_COLDKEY);
            self.set_stake(netuid, hotkey, &owner, s);
        }
        Ok(())
    }
}
