//! A coldkey's own alpha on (hotkey, netuid), read from storage in one batch for many pairs.
//!
//! Stake is a share pool per (hotkey, netuid): `TotalHotkeyAlpha` is the alpha, each coldkey
//! holds shares of it. Own alpha = `TotalHotkeyAlpha × share / shares` (HEAD
//! `primitives/share-pool/src/lib.rs:420-429`, as `StakeInfoRuntimeApi` computes it through
//! `get_stake_for_hotkey_and_coldkey_on_subnet`, `staking/stake_utils.rs:507-514`).
//! Where the shares live moved across runtimes:
//! - spec 218: `Alpha` and `TotalHotkeyShares` are plain u64;
//! - spec 393: both are `U64F64` (`{ bits: u128 }`, 64 fractional bits);
//! - since spec 397 a write moves an entry to `AlphaV2` / `TotalHotkeySharesV2` (`SafeFloat`);
//!   readers take the legacy map when it has the key, else the V2 one (`stake_utils.rs:1392-1432`).

use subxt::client::{ClientAtBlock, OfflineClientAtBlockT};
use subxt::Metadata;

use super::calls::SUBTENSOR;
use super::config::SubtensorConfig;
use super::storage::{self, key, key_if_present, Read};
use super::value;
use crate::chain::{AccountId, ChainError, OwnStake};

/// The reads for one (hotkey, coldkey) pair, as indices into the batch.
#[derive(Clone, Debug)]
struct PairReads {
    hotkey: AccountId,
    coldkey: AccountId,
    share: usize,
    share_v2: Option<usize>,
    shares: usize,
    shares_v2: Option<usize>,
    total: usize,
}

/// The storage reads of the own stake of `pairs`, to fetch in one batch.
pub struct StakeReads {
    pub reads: Vec<Read>,
    pairs: Vec<PairReads>,
}

pub fn reads<C: OfflineClientAtBlockT<SubtensorConfig>>(
    at: &ClientAtBlock<SubtensorConfig, C>,
    netuid: u16,
    pairs: &[(AccountId, AccountId)],
) -> Result<StakeReads, ChainError> {
    let mut reads = Vec::new();
    let mut push = |r: Read| {
        reads.push(r);
        reads.len() - 1
    };
    let mut out = Vec::new();
    for (hot, cold) in pairs {
        let (h, c) = (hot.0, cold.0);
        let share = push(key(at, SUBTENSOR, "Alpha", (h, c, netuid))?);
        let share_v2 = key_if_present(at, SUBTENSOR, "AlphaV2", (h, c, netuid))?.map(&mut push);
        let shares = push(key(at, SUBTENSOR, "TotalHotkeyShares", (h, netuid))?);
        let shares_v2 =
            key_if_present(at, SUBTENSOR, "TotalHotkeySharesV2", (h, netuid))?.map(&mut push);
        let total = push(key(at, SUBTENSOR, "TotalHotkeyAlpha", (h, netuid))?);
        out.push(PairReads {
            hotkey: *hot,
            coldkey: *cold,
            share,
            share_v2,
            shares,
            shares_v2,
            total,
        });
    }
    Ok(StakeReads { reads, pairs: out })
}

impl StakeReads {
    /// The own stake of each pair from the fetched `values` (same order as `reads`).
    pub fn decode(
        &self,
        md: &Metadata,
        values: &[Option<Vec<u8>>],
    ) -> Result<Vec<OwnStake>, ChainError> {
        // A key with no value is "not in this map" (the legacy-then-V2 rule), never a default.
        let read = |i: usize| -> Result<Option<subxt::ext::scale_value::Value<()>>, ChainError> {
            match values.get(i).and_then(|v| v.as_deref()) {
                Some(bytes) => storage::decode_value(md, &self.reads[i], Some(bytes)),
                None => Ok(None),
            }
        };
        let present = |i: usize| Ok(read(i)?.as_ref().and_then(Share::of));
        let either = |a: usize, b: Option<usize>| -> Result<Option<Share>, ChainError> {
            match present(a)? {
                Some(v) => Ok(Some(v)),
                None => b.map_or(Ok(None), present),
            }
        };
        self.pairs
            .iter()
            .map(|p| {
                let total = read(p.total)?.as_ref().and_then(value::u64_of).unwrap_or(0);
                let share = either(p.share, p.share_v2)?;
                let shares = either(p.shares, p.shares_v2)?;
                Ok(OwnStake {
                    hotkey: p.hotkey,
                    coldkey: p.coldkey,
                    alpha: own_alpha(total, share, shares),
                })
            })
            .collect()
    }
}

/// A share as stored: spec 218's plain integer, spec 393's `U64F64`, HEAD's `SafeFloat`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Share {
    Int(u64),
    Float(f64),
}

impl Share {
    fn of(v: &subxt::ext::scale_value::Value<()>) -> Option<Share> {
        match value::u64_of(v) {
            Some(n) => Some(Share::Int(n)),
            None => value::number(v, 64).map(Share::Float),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Share::Int(n) => n as f64,
            Share::Float(f) => f,
        }
    }
}

/// `floor(total × share / shares)`; 0 without a share or with no shares at all.
/// Integer shares (spec 218) follow that runtime's fixed-point steps exactly:
/// `alphas_per_share = I96F32(total) / I96F32(shares)`, then `× share`, truncated
/// (`staking/stake_utils.rs:258-283` at the spec-218 source). Fractional shares (393, HEAD) are
/// computed in f64: the chain's own fixed-point or `SafeFloat` rounding can give 1 alpha-rao
/// less.
pub fn own_alpha(total: u64, share: Option<Share>, shares: Option<Share>) -> u64 {
    match (share, shares) {
        (Some(Share::Int(s)), Some(Share::Int(d))) if s > 0 && d > 0 && total > 0 => {
            let per_share = (u128::from(total) << 32) / u128::from(d);
            u64::try_from(mul_shr32(per_share, s)).unwrap_or(u64::MAX)
        }
        (Some(s), Some(d)) if s.as_f64() > 0.0 && d.as_f64() > 0.0 => {
            let ratio = (s.as_f64() / d.as_f64()).min(1.0);
            ((total as f64) * ratio).floor() as u64
        }
        _ => 0,
    }
}

/// `floor(a × b / 2^32)` for `a < 2^96` without overflowing.
fn mul_shr32(a: u128, b: u64) -> u128 {
    let (hi, lo) = (a >> 64, a & u128::from(u64::MAX));
    ((hi * u128::from(b)) << 32) + ((lo * u128::from(b)) >> 32)
}

#[cfg(test)]
mod tests {
    use super::{own_alpha, Share};

    #[test]
    fn own_alpha_is_the_share_of_the_total() {
        use Share::{Float, Int};
        let cases = [
            // Seen on the spec-218 devnet: the SDK's get_stake said 98_375_035 for a sole
            // holder of 98_375_036 alpha (fixed-point truncation), and so must we.
            (
                "sole holder, 218",
                98_375_036,
                Some(Int(98_182_331)),
                Some(Int(98_182_331)),
                98_375_035,
            ),
            ("a quarter, 218", 1_000, Some(Int(1)), Some(Int(4)), 250),
            ("rounds down, 218", 10, Some(Int(1)), Some(Int(3)), 3),
            (
                "a quarter, fractional",
                1_000,
                Some(Float(1.5)),
                Some(Float(6.0)),
                250,
            ),
            ("no share", 1_000, None, Some(Int(4)), 0),
            ("zero share", 1_000, Some(Int(0)), Some(Int(4)), 0),
            ("no shares", 1_000, Some(Int(1)), None, 0),
            ("zero shares", 1_000, Some(Float(1.0)), Some(Float(0.0)), 0),
            (
                "share above shares is capped",
                1_000,
                Some(Float(5.0)),
                Some(Float(4.0)),
                1_000,
            ),
        ];
        for (name, total, share, shares, want) in cases {
            assert_eq!(own_alpha(total, share, shares), want, "{name}");
        }
        // No overflow at the extremes.
        assert_eq!(
            own_alpha(u64::MAX, Some(Int(u64::MAX)), Some(Int(u64::MAX))),
            u64::MAX
        );
    }
}
