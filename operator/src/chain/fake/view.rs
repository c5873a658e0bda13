//! Lagging views of the fake chain: the states of the last [`HISTORY_BLOCKS`] heads, so a
//! handle (or the server's `/lag/{blocks}/` prefix) can read the chain as a node that many
//! blocks behind serves it.

use std::collections::VecDeque;

use super::ChainState;
use crate::chain::ChainError;

/// How many past blocks' states are kept for the lagging views.
pub const HISTORY_BLOCKS: u64 = 64;

/// Which state a [`super::FakeChain`] handle reads: the live one, or the one of a node that
/// many blocks behind (writes always reach the live chain, as a lagging node still gossips them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    #[default]
    Live,
    Behind(u64),
}

/// The state as it was at each of the last [`HISTORY_BLOCKS`] heads: oldest first, consecutive
/// heads, without the ledger (reads never use it).
#[derive(Default)]
pub struct History(VecDeque<ChainState>);

impl History {
    /// Keeps the states of the heads the live state is about to leave by `blocks`: nothing
    /// changes between them, so they differ only in the head.
    pub fn record(&mut self, live: &ChainState, blocks: u64) {
        let head = live.head;
        let copy = live.without_ledger();
        for h in head + blocks.saturating_sub(HISTORY_BLOCKS)..head + blocks {
            self.0.push_back(ChainState {
                head: h,
                ..copy.clone()
            });
        }
        let excess = self.0.len().saturating_sub(HISTORY_BLOCKS as usize);
        self.0.drain(..excess);
    }

    /// The state `view` reads: the live one, or the one `lag` blocks before the head. A lag
    /// reaching before the oldest kept state is an error naming what is missing.
    pub fn state_for<'a>(
        &'a self,
        live: &'a ChainState,
        view: View,
    ) -> Result<&'a ChainState, ChainError> {
        let lag = match view {
            View::Live | View::Behind(0) => return Ok(live),
            View::Behind(lag) => lag,
        };
        let target = live.head.saturating_sub(lag);
        let oldest = self.0.front().map_or(live.head, |s| s.head);
        match target.checked_sub(oldest) {
            Some(i) => Ok(&self.0[i as usize]),
            None => Err(ChainError::Other(format!(
                "fake chain: a view {lag} blocks behind needs block {target}, but the oldest kept \
                 is {oldest} (advance the chain {lag} blocks first; at most {HISTORY_BLOCKS})"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lagging_view_reads_the_state_of_that_many_blocks_ago() {
        let mut live = ChainState {
            head: 100,
            ..Default::default()
        };
        let mut h = History::default();
        let at = |h: &History, live: &ChainState, lag| {
            h.state_for(live, View::Behind(lag))
                .map(|s| s.head)
                .map_err(|e| e.to_string())
        };
        let step = |h: &mut History, live: &mut ChainState, blocks| {
            h.record(live, blocks);
            live.advance(blocks);
        };
        assert_eq!(at(&h, &live, 0), Ok(100));
        assert!(at(&h, &live, 1)
            .unwrap_err()
            .contains("advance the chain 1 blocks"));
        live.pruner_seq = 3; // made at block 100: seen by every view from 100 on
        step(&mut h, &mut live, 5);
        live.pruner_seq = 7; // made at block 105: not seen 1 block behind
                             // (lag, head read, change seen)
        for (lag, head, seq) in [(0, 105, 7), (1, 104, 3), (5, 100, 3)] {
            assert_eq!(at(&h, &live, lag), Ok(head), "lag {lag}");
            let s = h.state_for(&live, View::Behind(lag)).unwrap();
            assert_eq!(s.pruner_seq, seq, "lag {lag}");
        }
        assert!(at(&h, &live, 6).is_err());
        // A long jump keeps only the last HISTORY_BLOCKS heads.
        step(&mut h, &mut live, 1000);
        assert_eq!(at(&h, &live, HISTORY_BLOCKS), Ok(1105 - HISTORY_BLOCKS));
        assert!(at(&h, &live, HISTORY_BLOCKS + 1).is_err());
    }
}
