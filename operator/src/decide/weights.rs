//! How old a validator's weights may get before its pod is restarted, and the block at which
//! they turn stale. Pure.
//!
//! Unset, the limit follows the subnet: owners set tempo (360–50,400 blocks at HEAD) and with
//! it the activity cutoff (`ActivityCutoffFactorMilli × Tempo / 1000`, HEAD `utils/misc.rs:
//! 612-622`), past which the epoch treats a validator as inactive (`run_epoch.rs:604-615`). A
//! fixed default would restart healthy validators on slow subnets and miss dead ones on fast
//! ones. Half the cutoff leaves the restarted validator the other half to set weights before
//! it stops counting. Under commit-reveal `last_update` moves at commit time (`weights.rs:
//! 136-137`), so the same limit applies to commits.

use crate::chain::SubnetParams;

/// Where the limit came from (said in the condition).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitSource {
    /// `health.maxWeightAgeBlocks` set on the Neuron.
    Spec,
    /// Half the subnet's activity cutoff (the value is the cutoff).
    ActivityCutoff(u64),
    /// The cutoff is unknown (0): two tempos (the value is the tempo).
    Tempo(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgeLimit {
    pub blocks: u64,
    pub source: LimitSource,
}

impl AgeLimit {
    /// For condition messages: "maxWeightAgeBlocks 1000" or how it was derived.
    pub fn describe(&self) -> String {
        match self.source {
            LimitSource::Spec => format!("maxWeightAgeBlocks {}", self.blocks),
            LimitSource::ActivityCutoff(c) => format!(
                "{} blocks, derived: half the subnet's activity cutoff of {c}",
                self.blocks
            ),
            LimitSource::Tempo(t) => {
                format!("{} blocks, derived: two tempos of {t}", self.blocks)
            }
        }
    }

    /// The first block at which weights set at `last_update` are stale (age > limit).
    pub fn stale_at(&self, last_update: u64) -> u64 {
        last_update.saturating_add(self.blocks).saturating_add(1)
    }
}

/// The limit for a validator: `spec` as set (`Some(0)` = off), or derived from the subnet's
/// parameters when unset. Never below one weights-rate-limit interval (a validator cannot set
/// weights more often than that). None: the check is off, or nothing to derive it from.
pub fn age_limit(spec: Option<u64>, params: &SubnetParams) -> Option<AgeLimit> {
    if let Some(blocks) = spec {
        return (blocks > 0).then_some(AgeLimit {
            blocks,
            source: LimitSource::Spec,
        });
    }
    let floor = params.weights_rate_limit.saturating_add(1);
    let (blocks, source) = if params.activity_cutoff > 0 {
        let c = params.activity_cutoff;
        (c / 2, LimitSource::ActivityCutoff(c))
    } else if params.tempo > 0 {
        let t = u64::from(params.tempo);
        (2 * t, LimitSource::Tempo(t))
    } else {
        return None;
    };
    Some(AgeLimit {
        blocks: blocks.max(floor),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(tempo: u16, cutoff: u64, rate_limit: u64) -> SubnetParams {
        SubnetParams {
            tempo,
            activity_cutoff: cutoff,
            weights_rate_limit: rate_limit,
            ..SubnetParams::default()
        }
    }

    #[test]
    fn the_limit_follows_the_subnet_unless_set() {
        use LimitSource::*;
        // (spec, tempo, cutoff, rate limit) → (blocks, source)
        let cases = [
            // Set on the Neuron: as set, whatever the subnet.
            ((Some(5), 360, 5000, 100), Some((5, Spec))),
            ((Some(0), 360, 5000, 100), None),
            // Mainnet defaults: tempo 360, cutoff 13 889‰ × 360 / 1000 = 5000.
            ((None, 360, 5000, 100), Some((2500, ActivityCutoff(5000)))),
            // A slow subnet (tempo 7200): 100,000-block cutoff, a limit twenty times longer.
            (
                (None, 7200, 100_000, 100),
                Some((50_000, ActivityCutoff(100_000))),
            ),
            // A fast devnet subnet: never under the rate limit + 1.
            ((None, 10, 138, 100), Some((101, ActivityCutoff(138)))),
            // No cutoff known: two tempos.
            ((None, 360, 0, 0), Some((720, Tempo(360)))),
            ((None, 0, 0, 0), None),
        ];
        for ((spec, tempo, cutoff, rl), want) in cases {
            let got = age_limit(spec, &params(tempo, cutoff, rl)).map(|l| (l.blocks, l.source));
            assert_eq!(got, want, "{spec:?} tempo {tempo} cutoff {cutoff} rl {rl}");
        }
    }

    #[test]
    fn weights_turn_stale_the_block_after_the_limit() {
        let l = AgeLimit {
            blocks: 5,
            source: LimitSource::Spec,
        };
        assert_eq!(l.stale_at(100), 106);
        assert!(!crate::decide::restart::weights_stale(105 - 100, l.blocks));
        assert!(crate::decide::restart::weights_stale(106 - 100, l.blocks));
        assert_eq!(l.describe(), "maxWeightAgeBlocks 5");
        let d = age_limit(None, &params(360, 5000, 100)).unwrap();
        assert_eq!(
            d.describe(),
            "2500 blocks, derived: half the subnet's activity cutoff of 5000"
        );
    }
}
