//! When a member may be restarted: right after an epoch boundary (miners: the epoch has just
//! scored them, the next one is a tempo away) or right after its last weight set (validators:
//! a restart then costs the least weight age), within a bound. Pure.

use super::epoch::Schedule;
use crate::api::Role;

/// The chain as the last poll saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainNow {
    pub block: u64,
    pub schedule: Schedule,
}

/// What one member's restart waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gate {
    pub role: Role,
    /// Restart only this many blocks after the anchor (epoch boundary or weight set).
    pub window: u64,
    /// Restart anyway once due this long (0: at once).
    pub max_delay: u64,
}

impl Gate {
    /// `registered`: the member has a uid (an unregistered one has nothing on chain to protect).
    /// `last_update`: its last weight set (validators). `due_since`: block since which it waits.
    pub fn open(
        &self,
        chain: Option<&ChainNow>,
        registered: bool,
        last_update: Option<u64>,
        due_since: Option<u64>,
    ) -> bool {
        if self.max_delay == 0 || !registered {
            return true;
        }
        // Without a chain view there is no block to align to: wait (the soak needs it anyway).
        let Some(c) = chain else {
            return false;
        };
        if due_since.is_some_and(|d| c.block.saturating_sub(d) >= self.max_delay) {
            return true;
        }
        let since = match self.role {
            Role::Miner => c.schedule.blocks_since_epoch(c.block),
            Role::Validator => last_update.map(|u| c.block.saturating_sub(u)),
        };
        // A subnet without epochs (tempo 0), or a validator without a weight set, has no anchor:
        // only the bound applies.
        since.is_some_and(|s| s <= self.window) || (since.is_none() && c.schedule.tempo == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(block: u64) -> ChainNow {
        // netuid 21, tempo 9: epochs at blocks ≡ 7 (mod 10)
        ChainNow {
            block,
            schedule: Schedule {
                netuid: 21,
                tempo: 9,
                last_epoch_block: None,
            },
        }
    }

    #[test]
    fn restart_windows() {
        let miner = Gate {
            role: Role::Miner,
            window: 2,
            max_delay: 10,
        };
        let validator = Gate {
            role: Role::Validator,
            ..miner
        };
        // (name, gate, block, registered, last_update, due_since, open)
        let cases = [
            (
                "miner in the epoch block",
                miner,
                1007,
                true,
                None,
                None,
                true,
            ),
            ("miner 2 blocks after", miner, 1009, true, None, None, true),
            ("miner 3 blocks after", miner, 1010, true, None, None, false),
            (
                "miner waited past the bound",
                miner,
                1016,
                true,
                None,
                Some(1006),
                true,
            ),
            (
                "miner waited less than the bound",
                miner,
                1016,
                true,
                None,
                Some(1007),
                false,
            ),
            (
                "unregistered: nothing to protect",
                miner,
                1010,
                false,
                None,
                None,
                true,
            ),
            (
                "validator right after its weights",
                validator,
                1010,
                true,
                Some(1009),
                None,
                true,
            ),
            (
                "validator long after its weights",
                validator,
                1010,
                true,
                Some(900),
                None,
                false,
            ),
            (
                "validator without weights: bound only",
                validator,
                1010,
                true,
                None,
                Some(1000),
                true,
            ),
            (
                "validator without weights, waiting",
                validator,
                1010,
                true,
                None,
                Some(1005),
                false,
            ),
        ];
        for (name, gate, block, registered, last_update, due, want) in cases {
            assert_eq!(
                gate.open(Some(&chain(block)), registered, last_update, due),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn no_chain_view_waits_unless_alignment_is_off() {
        let g = Gate {
            role: Role::Miner,
            window: 2,
            max_delay: 10,
        };
        assert!(!g.open(None, true, None, None));
        assert!(Gate { max_delay: 0, ..g }.open(None, true, None, None));
    }

    #[test]
    fn tempo_zero_has_no_window_to_wait_for() {
        let mut c = chain(1010);
        c.schedule.tempo = 0;
        let g = Gate {
            role: Role::Miner,
            window: 2,
            max_delay: 10,
        };
        assert!(g.open(Some(&c), true, None, None));
    }
}
