//! Configuration of the fake chain: runtime knobs, per-subnet parameters and the genesis file.
//! Defaults follow mainnet where CHAIN.md gives a figure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chain::AccountId;

/// 1 TAO in rao.
pub const TAO: u64 = 1_000_000_000;

/// Runtime-wide knobs (what differs between runtime versions or is a constant of the runtime).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeConfig {
    /// Fee charged to the signer of every non-free extrinsic, rao.
    pub fee_rao: u64,
    /// Whether `register_limit` exists (spec 2026+); older runtimes only have `burned_register`.
    pub has_register_limit: bool,
    /// `add_stake` below this fails with `AmountTooLow`.
    pub min_stake_rao: u64,
    /// Whether `add_stake_limit` / `remove_stake_limit` exist (spec 233+; not on spec 218).
    pub has_stake_limit: bool,
    /// `KeySwapCost`, recycled by a hotkey swap on all subnets (HEAD `runtime/src/lib.rs:1023`).
    pub key_swap_cost: u64,
    /// `KeySwapOnSubnetCost`, recycled by a swap on one subnet (`runtime/src/lib.rs:1035`).
    pub key_swap_on_subnet_cost: u64,
    /// `HotkeySwapOnSubnetInterval`: blocks between two swaps of one coldkey on one subnet
    /// (one day, `runtime/src/lib.rs:1036`); a first swap on one subnet also needs the chain
    /// older than this (`swap/swap_hotkey.rs:364-373`).
    pub hotkey_swap_on_subnet_interval: u64,
    /// `TxRateLimit`: blocks between two hotkey swaps of one coldkey (`runtime/src/lib.rs:1012`;
    /// 0 on the spec-218 devnet).
    pub tx_rate_limit: u64,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            fee_rao: 100_000,
            has_register_limit: true,
            min_stake_rao: 2_000_000,
            has_stake_limit: true,
            key_swap_cost: 100_000_000,
            key_swap_on_subnet_cost: 1_000_000,
            hotkey_swap_on_subnet_interval: 7200,
            tx_rate_limit: 1000,
        }
    }
}

/// One subnet's parameters. `burn` is the value at `burn_block` (set by an admin or by the last
/// registration); the current burn decays from it, see [`SubnetConfig::burn_at`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubnetConfig {
    pub burn: u64,
    pub burn_block: u64,
    pub min_burn: u64,
    pub max_burn: u64,
    /// Blocks for the burn to halve between registrations.
    pub burn_half_life: u64,
    pub difficulty: u64,
    pub registration_allowed: bool,
    pub tempo: u16,
    pub immunity_period: u16,
    pub max_allowed_uids: u16,
    pub serving_rate_limit: u64,
    /// False before the subnet's `start_call`: staking fails with `SubtokenDisabled`.
    pub subtoken_enabled: bool,
    /// Older runtimes: at most this many registrations per block.
    pub max_regs_per_block: Option<u16>,
    /// Older runtimes: at most this many registrations per `regs_interval_blocks` window.
    pub max_regs_per_interval: Option<u16>,
    pub regs_interval_blocks: u64,
    /// Activity cutoff in blocks (HEAD derives it from tempo: 13 889‰ × 360 = 5 000).
    pub activity_cutoff: u64,
    pub weights_rate_limit: u64,
    pub weights_version: u64,
    /// HEAD's default is on for every subnet.
    pub commit_reveal_enabled: bool,
    /// `RevealPeriodEpochs` (HEAD default 1).
    pub reveal_period_epochs: u64,
    /// `NetworkRegisteredAt`: changes when the netuid is dissolved and registered anew.
    pub registered_at: u64,
    pub mechanism_count: u8,
    /// `SubnetMechanism`: 0 = stable (price 1, stake 1:1 TAO:alpha), 1 = dynamic (the pool
    /// below, constant product as in spec 218 and HEAD with equal balancer weights).
    pub swap_mechanism: u8,
    /// `SubnetTAO`, rao.
    pub pool_tao: u64,
    /// `SubnetAlphaIn`, alpha-rao.
    pub pool_alpha: u64,
    /// `Swap::FeeRate`, of u16::MAX, taken from swaps on dynamic subnets (HEAD default 33,
    /// ~0.05 %, `pallets/swap/src/pallet/mod.rs:88-96`; spec 218's pool had none).
    pub fee_rate: u16,
}

impl Default for SubnetConfig {
    fn default() -> Self {
        Self {
            burn: TAO,
            burn_block: 0,
            min_burn: 500_000,
            max_burn: 100 * TAO,
            burn_half_life: 360,
            difficulty: 10_000_000,
            registration_allowed: true,
            tempo: 360,
            immunity_period: 5000,
            max_allowed_uids: 256,
            serving_rate_limit: 50,
            subtoken_enabled: true,
            max_regs_per_block: None,
            max_regs_per_interval: None,
            regs_interval_blocks: 360,
            activity_cutoff: 5000,
            weights_rate_limit: 100,
            weights_version: 0,
            commit_reveal_enabled: true,
            reveal_period_epochs: 1,
            registered_at: 0,
            mechanism_count: 1,
            swap_mechanism: 0,
            pool_tao: 1_000 * TAO,
            pool_alpha: 1_000 * TAO,
            fee_rate: 33,
        }
    }
}

/// Registration multiplies the burn by 1.26.
const BURN_GROWTH_NUM: u128 = 126;
const BURN_GROWTH_DEN: u128 = 100;

impl SubnetConfig {
    fn clamp(&self, v: u64) -> u64 {
        v.clamp(self.min_burn, self.max_burn.max(self.min_burn))
    }

    /// Burn at `block`: `burn` halved every `burn_half_life` blocks since `burn_block`, clamped
    /// to [min_burn, max_burn].
    pub fn burn_at(&self, block: u64) -> u64 {
        let elapsed = block.saturating_sub(self.burn_block) as f64;
        let half_life = self.burn_half_life.max(1) as f64;
        let decayed = (self.burn as f64 * 0.5f64.powf(elapsed / half_life)).round() as u64;
        self.clamp(decayed)
    }

    /// The burn right after a registration that paid `paid` at `block`.
    pub fn bump_after_registration(&mut self, paid: u64, block: u64) {
        let grown = (paid as u128 * BURN_GROWTH_NUM / BURN_GROWTH_DEN).min(u64::MAX as u128);
        self.burn = self.clamp(grown as u64);
        self.burn_block = block;
    }
}

/// Initial state, as read by `tensorfleet-fakechain --config FILE` (YAML or JSON). A subnet's
/// `burn_block` left at 0 becomes `head`: the burn given is the burn at the start.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Genesis {
    pub head: u64,
    pub runtime: RuntimeConfig,
    pub subnets: BTreeMap<u16, SubnetConfig>,
    /// Free balances, rao.
    pub balances: BTreeMap<AccountId, u64>,
    /// Proxy definitions: `delegate` may act for `real` through `Proxy.proxy`.
    pub proxies: Vec<ProxyGrant>,
}

/// One `Proxy.Proxies(real)` entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyGrant {
    pub real: AccountId,
    pub delegate: AccountId,
    /// A `ProxyType` variant name (`Any`, `Registration`, `Staking`, ...).
    #[serde(default = "any")]
    pub proxy_type: String,
    #[serde(default)]
    pub delay: u64,
}

fn any() -> String {
    "Any".into()
}

/// Applies a JSON merge-patch (only the keys given) to a serialisable value, refusing unknown keys.
pub fn patch<T: Serialize + serde::de::DeserializeOwned>(
    value: &T,
    patch: &serde_json::Value,
) -> Result<T, String> {
    let serde_json::Value::Object(changes) = patch else {
        return Err("patch must be a JSON object".into());
    };
    let mut merged = serde_json::to_value(value).map_err(|e| e.to_string())?;
    let obj = merged.as_object_mut().ok_or("not an object")?;
    for (k, v) in changes {
        // Types without `deny_unknown_fields` would drop a misspelt key silently.
        if !obj.contains_key(k) {
            return Err(format!("unknown field `{k}`"));
        }
        obj.insert(k.clone(), v.clone());
    }
    serde_json::from_value(merged).map_err(|e| e.to_string())
}
