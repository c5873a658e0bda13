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
use crate::decide::restart::{weights_stale, RestartReason};

/// A validator's weights as the snapshot shows them, when the check applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightAge {
    /// The snapshot's block.
    pub block: u64,
    /// `LastUpdate` of the uid (mechanism 0): the last set, or commit under commit-reveal.
    pub last_update: u64,
    pub limit: AgeLimit,
    /// Under commit-reveal, with the weights row read: the block it last changed by.
    pub reveals_since: Option<u64>,
    /// [`reveal_delay`] of the subnet.
    pub reveal_delay: u64,
    /// The subnet's incentive mechanisms, and the one whose `LastUpdate` is `last_update` (the
    /// oldest: a validator sets weights on each).
    pub mechanisms: u8,
    pub oldest_mechanism: u8,
}

/// What the weights say: the message of `WeightsFresh`, and for stale ones the restart reason.
/// Messages name blocks, never ages: a message that moved every block would make every
/// reconcile a status write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Fresh(String),
    Stale {
        reason: RestartReason,
        message: String,
    },
}

impl WeightAge {
    /// A validator's weights in `block`'s view: the limit from `spec` or the subnet (None: the
    /// check is off), `reveals_since` as the cache tracked it (only used under commit-reveal).
    pub fn of(
        spec: Option<u64>,
        params: &SubnetParams,
        block: u64,
        last_update: u64,
        reveals_since: Option<u64>,
    ) -> Option<Self> {
        Some(Self {
            block,
            last_update,
            limit: age_limit(spec, params)?,
            reveals_since: reveals_since.filter(|_| params.commit_reveal_enabled),
            reveal_delay: reveal_delay(params),
            mechanisms: params.mechanism_count.max(1),
            oldest_mechanism: 0,
        })
    }

    /// `last_update` is mechanism `m`'s (the oldest).
    pub fn on_mechanism(self, m: u8) -> Self {
        Self {
            oldest_mechanism: m,
            ..self
        }
    }

    /// "block 123", or "block 123 on mechanism 1 (the oldest of 2)" on a subnet with several.
    fn set_at(&self) -> String {
        match self.mechanisms {
            0 | 1 => format!("block {}", self.last_update),
            n => format!(
                "block {} on mechanism {} (the oldest of {n})",
                self.last_update, self.oldest_mechanism
            ),
        }
    }

    /// The first block at which the weights, set at `last_update`, are stale.
    pub fn stale_at(&self) -> u64 {
        self.limit.stale_at(self.last_update)
    }

    /// Under commit-reveal, the first block at which a weights row unchanged since
    /// `reveals_since`, while commits keep landing, counts as stale: the limit plus the reveal
    /// delay after it.
    pub fn reveals_stale_at(&self) -> Option<u64> {
        let since = self.reveals_since.filter(|s| self.last_update > *s)?;
        Some(
            since
                .saturating_add(self.limit.blocks)
                .saturating_add(self.reveal_delay)
                .saturating_add(1),
        )
    }
}

pub fn verdict(w: &WeightAge) -> Verdict {
    let (limit, stale_at) = (w.limit.describe(), w.stale_at());
    let age = w.block.saturating_sub(w.last_update);
    if weights_stale(age, w.limit.blocks) {
        return Verdict::Stale {
            reason: RestartReason::WeightsStale,
            message: format!(
                "weights set at {}, stale since block {stale_at} ({limit})",
                w.set_at()
            ),
        };
    }
    if let Some(at) = w.reveals_stale_at().filter(|at| w.block >= *at) {
        return Verdict::Stale {
            reason: RestartReason::RevealsMissing,
            message: format!(
                "weights committed at block {} but no reveal has changed them since block {}: \
                 stale since block {at} ({limit}, plus the reveal delay of {} blocks)",
                w.last_update,
                w.reveals_since.unwrap_or_default(),
                w.reveal_delay
            ),
        };
    }
    Verdict::Fresh(format!(
        "weights set at {}, stale from block {stale_at} ({limit})",
        w.set_at()
    ))
}

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

/// Blocks a commit may wait for its reveal: one made in epoch e is revealed in epoch
/// e + `RevealPeriodEpochs` and expires after it (HEAD `weights.rs:1287-1292`), so at most
/// period + 1 epochs of tempo + 1 blocks.
pub fn reveal_delay(params: &SubnetParams) -> u64 {
    (params.reveal_period_epochs.max(1) + 1) * (u64::from(params.tempo) + 1)
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
    fn reveals_have_the_reveal_delay_on_top_of_the_limit() {
        let l = AgeLimit {
            blocks: 100,
            source: LimitSource::Spec,
        };
        // Tempo 360, reveal period 1 (HEAD's default): 2 epochs of 361 blocks.
        let p = SubnetParams {
            tempo: 360,
            reveal_period_epochs: 1,
            ..SubnetParams::default()
        };
        assert_eq!(reveal_delay(&p), 722);
        let commit_reveal = SubnetParams {
            commit_reveal_enabled: true,
            ..p.clone()
        };
        // Row unchanged since 1000, commits since: stale at 1000 + 100 + 722 + 1.
        let w = WeightAge::of(Some(100), &commit_reveal, 1500, 1400, Some(1000)).unwrap();
        assert_eq!(w.reveals_stale_at(), Some(1000 + 100 + 722 + 1));
        // No commit since the row changed, or commit-reveal off: no reveal deadline.
        let idle = WeightAge::of(Some(100), &commit_reveal, 1500, 900, Some(1000)).unwrap();
        assert_eq!(idle.reveals_stale_at(), None);
        let off = WeightAge::of(Some(100), &p, 1500, 1400, Some(1000)).unwrap();
        assert_eq!(off.reveals_stale_at(), None);
        assert_eq!(l.stale_at(1400), w.stale_at());
        // A runtime that does not say: period 1.
        let unknown = SubnetParams {
            reveal_period_epochs: 0,
            ..p.clone()
        };
        assert_eq!(reveal_delay(&unknown), 722);
        let longer = SubnetParams {
            reveal_period_epochs: 3,
            ..p
        };
        assert_eq!(reveal_delay(&longer), 4 * 361);
    }

    #[test]
    fn with_several_mechanisms_the_oldest_counts_and_is_named() {
        let p = SubnetParams {
            mechanism_count: 2,
            ..SubnetParams::default()
        };
        let w = WeightAge::of(Some(5), &p, 110, 100, None)
            .unwrap()
            .on_mechanism(1);
        let want = "weights set at block 100 on mechanism 1 (the oldest of 2), stale since block \
                    106 (maxWeightAgeBlocks 5)";
        assert_eq!(
            verdict(&w),
            Verdict::Stale {
                reason: RestartReason::WeightsStale,
                message: want.into()
            }
        );
        let one = WeightAge::of(Some(5), &SubnetParams::default(), 102, 100, None).unwrap();
        assert!(
            matches!(verdict(&one), Verdict::Fresh(m) if m.starts_with("weights set at block 100, "))
        );
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
