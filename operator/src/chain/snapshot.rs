//! A subnet as read at one block: parameters, the pool price, every uid's figures and the own
//! stake of the (hotkey, coldkey) pairs the caller asked about.

use std::net::IpAddr;

use super::AccountId;

/// 10^9: rao per TAO, and alpha-rao per alpha.
pub const RAO_PER_TAO: u64 = 1_000_000_000;

/// Subnet-wide parameters, read at one block.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SubnetParams {
    /// Current registration cost (`Burn`), rao. Since spec 397 it decays every block and rises
    /// ×1.26 per registration in the same block (HEAD `subnets/registration.rs:466-541`).
    pub burn: u64,
    pub min_burn: u64,
    pub max_burn: u64,
    pub difficulty: u64,
    pub registration_allowed: bool,
    pub tempo: u16,
    pub immunity_period: u16,
    /// uids in use.
    pub subnetwork_n: u16,
    pub max_allowed_uids: u16,
    /// Blocks between two serve_axon calls of one hotkey.
    pub serving_rate_limit: u64,
    /// Blocks after which a validator's weights count as inactive. Since spec 423 derived from
    /// tempo (`ActivityCutoffFactorMilli × Tempo / 1000`, HEAD `utils/misc.rs:612-622`) and a
    /// `Compact<u64>` in the metagraph; before, the `ActivityCutoff` storage (u16).
    pub activity_cutoff: u64,
    /// `WeightsSetRateLimit`: blocks between two weight sets (or commits) of one hotkey.
    pub weights_rate_limit: u64,
    /// `WeightsVersionKey`: the version validators must set weights with.
    pub weights_version: u64,
    /// `CommitRevealWeightsEnabled` (default true at HEAD, `lib.rs:2102`).
    pub commit_reveal_enabled: bool,
    /// `NetworkRegisteredAt`: the block the netuid was (last) registered; it changes when a
    /// dissolved netuid is reused (HEAD `subnets/subnet.rs:214`).
    pub network_registered_at: u64,
    /// `MechanismCountCurrent` (incentive mechanisms of the subnet; 1 where the runtime has no
    /// such storage). Figures here are mechanism 0's (`get_metagraph` reads mechanism 0).
    pub mechanism_count: u8,
    /// `LastEpochBlock` on runtimes with the dynamic-tempo scheduler (since spec 423: epochs
    /// every `tempo` blocks from it, HEAD `coinbase/run_coinbase.rs:1097-1140`); None: the
    /// legacy schedule `(block + netuid + 1) % (tempo + 1) == tempo`.
    pub last_epoch_block: Option<u64>,
    /// `RevealPeriodEpochs` (HEAD default 1, `lib.rs:2526`): a commit made in epoch e is
    /// revealed in epoch e + this, and expires after it (`weights.rs:1287-1292`).
    pub reveal_period_epochs: u64,
}

impl SubnetParams {
    /// Equal but for the burn, which moves every block on current runtimes: a burn-only change
    /// concerns only Neurons that may register.
    pub fn same_but_burn(&self, other: &SubnetParams) -> bool {
        SubnetParams {
            burn: other.burn,
            ..self.clone()
        } == *other
    }
}

/// The subnet's AMM pool as read in the snapshot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pool {
    /// `SubnetTAO`, rao.
    pub tao_in: u64,
    /// `SubnetAlphaIn`, alpha-rao.
    pub alpha_in: u64,
    /// TAO per alpha in rao per 1 alpha (10^9 alpha-rao): `SwapRuntimeApi.current_alpha_price`
    /// where the runtime has it (HEAD `runtime/src/lib.rs:2651-2656`: price × 10^9), else
    /// `SubnetTAO / SubnetAlphaIn` (the constant-product pool of spec 218).
    pub price_rao: u64,
}

impl Pool {
    /// The TAO value (rao) of `alpha_rao` at the pool price, rounded down.
    pub fn tao_value(&self, alpha_rao: u64) -> u64 {
        let v = u128::from(alpha_rao) * u128::from(self.price_rao) / u128::from(RAO_PER_TAO);
        u64::try_from(v).unwrap_or(u64::MAX)
    }

    /// The price as TAO per alpha (for display).
    pub fn price_tao(&self) -> f64 {
        self.price_rao as f64 / RAO_PER_TAO as f64
    }

    /// The reserve ratio `tao_in / alpha_in` in rao per alpha (0 for an empty pool).
    pub fn reserve_price_rao(tao_in: u64, alpha_in: u64) -> u64 {
        if alpha_in == 0 {
            return 0;
        }
        let p = u128::from(tao_in) * u128::from(RAO_PER_TAO) / u128::from(alpha_in);
        u64::try_from(p).unwrap_or(u64::MAX)
    }
}

/// Axon endpoint as published on chain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AxonInfo {
    /// Block of the last serve_axon.
    pub block: u64,
    pub ip: IpAddr,
    pub port: u16,
    pub version: u32,
}

/// One registered uid's figures. u16-normalised values are already divided by 65535.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NeuronInfo {
    pub uid: u16,
    pub hotkey: AccountId,
    /// The hotkey's owner (`Owner(hotkey)`). After a hotkey swap, the same coldkey at the same
    /// uid under the new hotkey (HEAD `swap/swap_hotkey.rs:405-408`, `:472-478`).
    pub coldkey: AccountId,
    pub active: bool,
    /// None when the hotkey never served (ip 0).
    pub axon: Option<AxonInfo>,
    /// All alpha on this hotkey on this subnet (alpha-rao), as the SDK's metagraph shows it:
    /// every staker's, emission included (`alpha_stake`, or `TotalHotkeyAlpha` on runtimes
    /// without a metagraph API). Not the coldkey's own stake: see [`SubnetSnapshot::own_stake`].
    pub stake: u64,
    /// Always 0 since spec 397 (`trust`/`rank` are empty in the metagraph).
    pub rank: f64,
    pub trust: f64,
    pub consensus: f64,
    pub incentive: f64,
    pub dividends: f64,
    /// None when the read did not include it (`get_metagraph` has no validator trust).
    #[serde(default)]
    pub validator_trust: Option<f64>,
    pub emission: u64,
    pub last_update: u64,
    pub validator_permit: bool,
    /// `BlockAtRegistration(netuid, uid)`: kept by a hotkey swap (keyed by uid), set anew when
    /// a registration takes the uid (HEAD `subnets/uids.rs:89`, `:135`).
    pub registered_at_block: u64,
}

/// The alpha one coldkey holds on one hotkey of the subnet.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OwnStake {
    pub hotkey: AccountId,
    pub coldkey: AccountId,
    /// Alpha-rao: `TotalHotkeyAlpha × share / shares` (HEAD `share-pool/src/lib.rs:420-429`).
    pub alpha: u64,
}

/// One uid's `Weights(netuid, uid)` row (mechanism 0), as a digest: what matters is whether
/// it changed. Under commit-reveal only a reveal writes it (`last_update` moves at commit
/// time, HEAD `weights.rs:136-137`, `:851-853`), so a row that stays the same while commits
/// land is a validator whose reveals do not land.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WeightsRow {
    pub uid: u16,
    /// A hash of the row's SCALE bytes (an absent row hashes as the empty vector).
    pub digest: u64,
    /// Number of (uid, weight) pairs.
    pub entries: u32,
}

impl WeightsRow {
    /// From the storage value as fetched (`None`: the empty default row).
    pub fn from_scale(uid: u16, bytes: Option<&[u8]>) -> Self {
        use parity_scale_codec::Decode;
        use std::hash::{Hash, Hasher};
        let bytes = bytes.unwrap_or(&[0]);
        let entries = parity_scale_codec::Compact::<u32>::decode(&mut &bytes[..])
            .map(|c| c.0)
            .unwrap_or(0);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut h);
        Self {
            uid,
            digest: h.finish(),
            entries,
        }
    }
}

/// What a snapshot reads beyond the subnet itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotQuery {
    /// (hotkey, coldkey) pairs whose own stake to read.
    pub stakes: Vec<(AccountId, AccountId)>,
    /// uids whose weights row to read (our validators').
    pub weights: Vec<u16>,
    /// Incentive mechanisms the subnet had at the last poll: above 1, each other mechanism's
    /// `LastUpdate` is read too.
    pub mechanisms: u8,
}

/// A whole subnet at one block.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SubnetSnapshot {
    pub netuid: u16,
    pub block: u64,
    pub params: SubnetParams,
    pub neurons: Vec<NeuronInfo>,
    /// None where the runtime has no pool (or it could not be read).
    #[serde(default)]
    pub pool: Option<Pool>,
    /// The own stake of each queried (hotkey, coldkey) pair, in query order.
    #[serde(default)]
    pub stakes: Vec<OwnStake>,
    /// The weights row of each queried uid, in query order.
    #[serde(default)]
    pub weights: Vec<WeightsRow>,
    /// `LastUpdate` of mechanisms 1, 2, … (by uid) when asked for (mechanism 0's is in each
    /// [`NeuronInfo`]): a validator sets weights on every mechanism of its subnet.
    #[serde(default)]
    pub mechanism_last_update: Vec<Vec<u64>>,
}

impl SubnetSnapshot {
    pub fn neuron_by_hotkey(&self, hotkey: &AccountId) -> Option<&NeuronInfo> {
        self.neurons.iter().find(|n| &n.hotkey == hotkey)
    }

    /// The oldest `LastUpdate` of `n` over the subnet's mechanisms, and which mechanism it is
    /// (0 when there is one, or mechanism 0 is the oldest).
    pub fn oldest_last_update(&self, n: &NeuronInfo) -> (u64, u8) {
        let others = self.mechanism_last_update.iter().enumerate();
        others
            .filter_map(|(i, by_uid)| Some((*by_uid.get(usize::from(n.uid))?, i as u8 + 1)))
            .fold(
                (n.last_update, 0),
                |oldest, m| if m.0 < oldest.0 { m } else { oldest },
            )
    }

    /// The weights row of `uid`, if it was queried.
    pub fn weights_row(&self, uid: u16) -> Option<&WeightsRow> {
        self.weights.iter().find(|w| w.uid == uid)
    }

    /// The alpha `coldkey` holds on `hotkey`, if that pair was queried.
    pub fn own_stake(&self, hotkey: &AccountId, coldkey: &AccountId) -> Option<u64> {
        self.stakes
            .iter()
            .find(|s| &s.hotkey == hotkey && &s.coldkey == coldkey)
            .map(|s| s.alpha)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_last_update_over_mechanisms() {
        let n = |uid, last_update| NeuronInfo {
            uid,
            last_update,
            ..crate::chain::cache::tests::info(uid as u8, 0.0)
        };
        let mut s = SubnetSnapshot {
            netuid: 1,
            block: 500,
            params: SubnetParams::default(),
            neurons: vec![n(0, 400), n(1, 300)],
            pool: None,
            stakes: Vec::new(),
            weights: Vec::new(),
            mechanism_last_update: Vec::new(),
        };
        assert_eq!(s.oldest_last_update(&s.neurons[0].clone()), (400, 0));
        // Mechanism 1: uid 0 set at 350 (older), uid 1 at 320 (newer than its 300 on 0).
        s.mechanism_last_update = vec![vec![350, 320], vec![]];
        assert_eq!(s.oldest_last_update(&s.neurons[0].clone()), (350, 1));
        assert_eq!(s.oldest_last_update(&s.neurons[1].clone()), (300, 0));
    }

    #[test]
    fn pool_values_alpha_at_the_price() {
        // 4 TAO per alpha: 0.5 alpha is worth 2 TAO.
        let p = Pool {
            tao_in: 4_000 * RAO_PER_TAO,
            alpha_in: 1_000 * RAO_PER_TAO,
            price_rao: Pool::reserve_price_rao(4_000 * RAO_PER_TAO, 1_000 * RAO_PER_TAO),
        };
        assert_eq!(p.price_rao, 4 * RAO_PER_TAO);
        assert_eq!(p.tao_value(RAO_PER_TAO / 2), 2 * RAO_PER_TAO);
        assert_eq!(p.price_tao(), 4.0);
        assert_eq!(Pool::reserve_price_rao(5, 0), 0);
        // No overflow at the extremes.
        let huge = Pool {
            price_rao: u64::MAX,
            ..p
        };
        assert_eq!(huge.tao_value(u64::MAX), u64::MAX);
    }

    #[test]
    fn a_burn_only_change_is_told_apart() {
        let a = SubnetParams {
            burn: 5,
            tempo: 360,
            ..Default::default()
        };
        let burn = SubnetParams {
            burn: 6,
            ..a.clone()
        };
        let tempo = SubnetParams {
            tempo: 720,
            ..a.clone()
        };
        assert!(a.same_but_burn(&burn) && a != burn);
        assert!(!a.same_but_burn(&tempo));
    }
}
