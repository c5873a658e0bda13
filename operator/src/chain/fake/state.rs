//! The fake chain's state and its reads. Pure and deterministic: no clock, no I/O; the head only
//! moves when told to. Admin actions are in `admin.rs`, extrinsics in `dispatch.rs`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::config::{Genesis, ProxyGrant, RuntimeConfig, SubnetConfig};
use super::ledger::LedgerEntry;
use super::shares::HotkeyAlpha;
use crate::chain::{
    AccountId, ColdkeySwap, NeuronInfo, OwnStake, Pool, SnapshotQuery, SubnetParams,
    SubnetSnapshot, WeightsRow, RAO_PER_TAO,
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
    /// `Weights(netuid, uid)` rows written (a reveal, or `set_weights` without commit-reveal).
    #[serde(default)]
    pub weights: BTreeMap<u16, Vec<(u16, u16)>>,
    /// `LastUpdate` of mechanisms 1, 2, … by uid, where set (else the registration block).
    #[serde(default)]
    pub mechanism_last_update: BTreeMap<u16, Vec<u64>>,
}

impl Subnet {
    pub fn new(config: SubnetConfig) -> Self {
        Self {
            config,
            neurons: Vec::new(),
            registration_blocks: Vec::new(),
            weights: BTreeMap::new(),
            mechanism_last_update: BTreeMap::new(),
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
    /// Alpha by netuid and hotkey: each hotkey's share pool (`shares.rs`).
    pub stakes: BTreeMap<u16, BTreeMap<AccountId, HotkeyAlpha>>,
    /// `Proxy.Proxies`: who may act for whom, as which proxy type.
    pub proxies: BTreeSet<ProxyGrant>,
    /// Announced coldkey swaps (`ColdkeySwapAnnouncements` / `ColdkeySwapDisputes`).
    #[serde(default)]
    pub coldkey_swaps: BTreeMap<AccountId, ColdkeySwap>,
    /// What the hotkey-swap rate limits read (`swap.rs`).
    #[serde(default)]
    pub swaps: SwapRecords,
    pub ledger: Vec<LedgerEntry>,
    /// Counter for the hotkeys that take over a uid pruned by an admin.
    pub pruner_seq: u64,
}

/// Blocks of past hotkey swaps, for HEAD's two limits on them (`swap/swap_hotkey.rs:66-70`,
/// `:148-179`, `:364-373`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapRecords {
    /// `LastTxBlock(coldkey)`: set by each swap, checked against `TxRateLimit`.
    pub last_tx_block: BTreeMap<AccountId, u64>,
    /// `LastHotkeySwapOnNetuid(netuid, coldkey)`, checked against `HotkeySwapOnSubnetInterval`.
    pub last_on_subnet: BTreeMap<u16, BTreeMap<AccountId, u64>>,
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

    /// The included extrinsic of (signer, nonce) in the block range (`ledger::find`).
    pub fn find_tx(&self, q: &crate::chain::FindTx) -> Option<crate::chain::FoundTx> {
        super::ledger::find(&self.ledger, q)
    }

    pub fn uid_of(&self, netuid: u16, hotkey: &AccountId) -> Option<u16> {
        self.subnet(netuid)?.uid_of(hotkey)
    }

    /// The share pool of `hotkey` on `netuid`, if anyone ever staked there.
    pub fn alpha_pool(&self, netuid: u16, hotkey: &AccountId) -> Option<&HotkeyAlpha> {
        self.stakes.get(&netuid)?.get(hotkey)
    }

    pub fn alpha_pool_mut(&mut self, netuid: u16, hotkey: &AccountId) -> &mut HotkeyAlpha {
        self.stakes
            .entry(netuid)
            .or_default()
            .entry(*hotkey)
            .or_default()
    }

    /// `TotalHotkeyAlpha`: every staker's alpha on the hotkey, emission included.
    pub fn total_stake(&self, netuid: u16, hotkey: &AccountId) -> u64 {
        self.alpha_pool(netuid, hotkey).map_or(0, |p| p.total)
    }

    /// The alpha `coldkey` itself owns on `hotkey`.
    pub fn stake_of(&self, netuid: u16, hotkey: &AccountId, coldkey: &AccountId) -> u64 {
        self.alpha_pool(netuid, hotkey)
            .map_or(0, |p| p.value_of(coldkey))
    }

    /// Sets `coldkey`'s own alpha on `hotkey` (the others' is unchanged).
    pub fn set_stake(&mut self, netuid: u16, hotkey: &AccountId, coldkey: &AccountId, v: u64) {
        self.alpha_pool_mut(netuid, hotkey).set(coldkey, v);
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
            reveal_period_epochs: c.reveal_period_epochs,
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
        let weights = query
            .weights
            .iter()
            .map(|uid| {
                let row = sn.weights.get(uid).map(parity_scale_codec::Encode::encode);
                WeightsRow::from_scale(*uid, row.as_deref())
            })
            .collect();
        let mechanisms = query.mechanisms.min(c.mechanism_count);
        let mechanism_last_update = (1..mechanisms)
            .map(|m| {
                let of = |(uid, n): (usize, &NeuronInfo)| {
                    let set = sn.mechanism_last_update.get(&(uid as u16));
                    let at = set.and_then(|v| v.get(usize::from(m) - 1));
                    at.copied().unwrap_or(n.registered_at_block)
                };
                sn.neurons.iter().enumerate().map(of).collect()
            })
            .collect();
        Some(SubnetSnapshot {
            netuid,
            block: self.head,
            params,
            neurons,
            pool: self.pool(netuid),
            stakes,
            weights,
            mechanism_last_update,
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
            swaps: self.swaps.clone(),
            ledger: Vec::new(),
            pruner_seq: self.pruner_seq,
        }
    }
}
