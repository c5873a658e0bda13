//! Subtensor's epoch schedule from a snapshot's netuid, tempo and block. Pure.
//!
//! Runtimes before "Dynamic tempo" (subtensor, May 2026) run a subnet's epoch in block `b` when
//! `blocks_until_next_epoch` is 0, i.e. `(b + netuid + 1) % (tempo + 1) == tempo` (the doc
//! comment there says `== 0`; its code and its table — tempo 100, netuid 0: first epoch block
//! 99 — say `== tempo`). Dynamic-tempo runtimes run it every `tempo` blocks from
//! `LastEpochBlock` (owner-triggered epochs aside), used when the snapshot carries it.

/// Boundaries are the blocks `b` with `(b + offset) ≡ 0 (mod period)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub netuid: u16,
    pub tempo: u16,
    /// `LastEpochBlock`, on runtimes that have it.
    pub last_epoch_block: Option<u64>,
}

impl Schedule {
    /// None when tempo is 0: the subnet runs no epoch.
    fn period(&self) -> Option<i128> {
        match (self.tempo, self.last_epoch_block) {
            (0, _) => None,
            (t, None) => Some(i128::from(t) + 1),
            (t, Some(_)) => Some(i128::from(t)),
        }
    }

    fn offset(&self) -> i128 {
        match self.last_epoch_block {
            None => i128::from(self.netuid) + 2,
            Some(l) => -i128::from(l),
        }
    }

    /// Epoch index of `block`: how many boundaries lie at or before it (up to a constant).
    fn index(&self, block: u64) -> Option<i128> {
        Some((i128::from(block) + self.offset()).div_euclid(self.period()?))
    }

    /// Blocks since the latest epoch at or before `block` (0: it ran in `block`).
    pub fn blocks_since_epoch(&self, block: u64) -> Option<u64> {
        let r = (i128::from(block) + self.offset()).rem_euclid(self.period()?);
        u64::try_from(r).ok()
    }

    /// Epochs run in the blocks `(from, to]`.
    pub fn epochs_between(&self, from: u64, to: u64) -> Option<u64> {
        let n = self.index(to)? - self.index(from)?;
        Some(u64::try_from(n).unwrap_or(0))
    }

    /// Block of the `n`-th epoch after `from` (n ≥ 1).
    pub fn nth_epoch_after(&self, from: u64, n: u64) -> Option<u64> {
        let k = self.index(from)? + i128::from(n);
        u64::try_from(k * self.period()? - self.offset()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn legacy(netuid: u16, tempo: u16) -> Schedule {
        Schedule {
            netuid,
            tempo,
            last_epoch_block: None,
        }
    }

    /// subtensor's `blocks_until_next_epoch` before dynamic tempo, verbatim in arithmetic.
    fn subtensor_blocks_until_next(netuid: u16, tempo: u16, block: u64) -> u64 {
        let adjusted = block.wrapping_add(u64::from(netuid) + 1);
        let remainder = adjusted % (u64::from(tempo) + 1);
        u64::from(tempo).saturating_sub(remainder)
    }

    #[test]
    fn first_epoch_blocks_match_subtensors_table() {
        // (tempo, netuid, first epoch block), from the comment on blocks_until_next_epoch
        for (tempo, netuid, first) in [
            (1, 0, 0),
            (1, 1, 1),
            (2, 0, 1),
            (2, 1, 0),
            (100, 0, 99),
            (100, 1, 98),
        ] {
            let s = legacy(netuid, tempo);
            assert_eq!(s.blocks_since_epoch(first), Some(0), "{tempo}/{netuid}");
            let next = (first + 1..).find(|b| s.blocks_since_epoch(*b) == Some(0));
            assert_eq!(next, Some(first + u64::from(tempo) + 1));
        }
    }

    #[test]
    fn legacy_schedule_agrees_with_subtensor_everywhere() {
        for (netuid, tempo) in [(0, 1), (21, 10), (7, 360), (65535, 99)] {
            let s = legacy(netuid, tempo);
            for block in 4_800_000..4_800_800u64 {
                let runs = subtensor_blocks_until_next(netuid, tempo, block) == 0;
                assert_eq!(
                    s.blocks_since_epoch(block) == Some(0),
                    runs,
                    "{netuid}/{tempo}@{block}"
                );
            }
        }
    }

    #[test]
    fn counting_epochs() {
        let s = legacy(21, 9); // period 10, epochs at blocks ≡ 7 (mod 10)
        assert_eq!(s.blocks_since_epoch(1007), Some(0));
        assert_eq!(s.blocks_since_epoch(1016), Some(9));
        assert_eq!(s.epochs_between(1007, 1007), Some(0));
        assert_eq!(s.epochs_between(1006, 1007), Some(1));
        assert_eq!(s.epochs_between(1007, 1026), Some(1));
        assert_eq!(s.epochs_between(1007, 1027), Some(2));
        assert_eq!(
            s.epochs_between(1027, 1007),
            Some(0),
            "backwards counts nothing"
        );
        assert_eq!(s.nth_epoch_after(1007, 1), Some(1017));
        assert_eq!(s.nth_epoch_after(1000, 2), Some(1017));
    }

    #[test]
    fn dynamic_tempo_counts_from_last_epoch_block() {
        let s = Schedule {
            netuid: 21,
            tempo: 360,
            last_epoch_block: Some(5_000),
        };
        assert_eq!(s.blocks_since_epoch(5_000), Some(0));
        assert_eq!(s.blocks_since_epoch(5_359), Some(359));
        assert_eq!(s.blocks_since_epoch(5_360), Some(0));
        assert_eq!(s.blocks_since_epoch(4_999), Some(359), "before the anchor");
        assert_eq!(s.epochs_between(5_000, 5_720), Some(2));
        assert_eq!(s.nth_epoch_after(5_001, 2), Some(5_720));
    }

    #[test]
    fn tempo_zero_runs_no_epoch() {
        let s = legacy(1, 0);
        assert_eq!(s.blocks_since_epoch(10), None);
        assert_eq!(s.epochs_between(1, 100), None);
        assert_eq!(s.nth_epoch_after(1, 1), None);
    }
}
