//! Pruning risk: whether a registration on a full subnet would likely replace this uid. Pure.
//!
//! HEAD's `get_neuron_to_prune` (`subnets/registration.rs:279-356`) replaces the non-immune uid
//! with the lowest `Emission`, ties to the earliest `BlockAtRegistration`, then the lowest uid;
//! a uid is immune while `now − BlockAtRegistration < ImmunityPeriod` (`utils/misc.rs:545-550`).
//! Registrations take free uids first, so risk needs a full (or nearly full) subnet. Not read
//! here, so not modelled: the owner's immortal hotkeys, which the chain skips (one below us
//! makes our real position one lower than shown), and `MinNonImmuneUids`, under which the
//! chain prunes the lowest immune uid instead.

use crate::chain::{AccountId, SubnetSnapshot};

/// The share of non-immune uids counted as "among the lowest": 1 in 20, at least one.
const LOWEST_SHARE: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Risk {
    /// Registered less than the immunity period ago.
    Immune { until_block: u64 },
    /// Past immunity, among the lowest `among` in pruning order, with at most `among` free uids.
    AtRisk {
        /// 0 = the next uid a registration replaces.
        position: usize,
        among: usize,
        candidates: usize,
    },
    /// Past immunity, not among the lowest (or the subnet has room).
    Safe { subnet_has_room: bool },
}

/// The first block at which a uid registered at `registered_at` is no longer immune.
pub fn immunity_ends_at(registered_at: u64, immunity_period: u16) -> u64 {
    registered_at.saturating_add(u64::from(immunity_period))
}

/// The risk of `hotkey`'s uid in `snap` (None: not registered there).
pub fn risk(snap: &SubnetSnapshot, hotkey: &AccountId) -> Option<Risk> {
    let me = snap.neuron_by_hotkey(hotkey)?;
    let period = snap.params.immunity_period;
    let ends = immunity_ends_at(me.registered_at_block, period);
    if snap.block < ends {
        return Some(Risk::Immune { until_block: ends });
    }
    let mut order: Vec<(u64, u64, u16)> = snap
        .neurons
        .iter()
        .filter(|n| snap.block >= immunity_ends_at(n.registered_at_block, period))
        .map(|n| (n.emission, n.registered_at_block, n.uid))
        .collect();
    order.sort_unstable();
    let candidates = order.len();
    let among = candidates.div_ceil(LOWEST_SHARE).max(1);
    let position = order
        .iter()
        .position(|(_, _, uid)| *uid == me.uid)
        .unwrap_or(candidates);
    let free = usize::from(snap.params.max_allowed_uids).saturating_sub(snap.neurons.len());
    let subnet_has_room = free > among;
    if position < among && !subnet_has_room {
        return Some(Risk::AtRisk {
            position,
            among,
            candidates,
        });
    }
    Some(Risk::Safe { subnet_has_room })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{NeuronInfo, SubnetParams};

    fn neuron(uid: u8, emission: u64, registered_at_block: u64) -> NeuronInfo {
        NeuronInfo {
            emission,
            registered_at_block,
            ..crate::chain::cache::tests::info(uid, 0.0)
        }
    }

    fn snap(block: u64, max_uids: u16, neurons: Vec<NeuronInfo>) -> SubnetSnapshot {
        SubnetSnapshot {
            netuid: 1,
            block,
            params: SubnetParams {
                immunity_period: 100,
                max_allowed_uids: max_uids,
                ..SubnetParams::default()
            },
            neurons,
            pool: None,
            stakes: Vec::new(),
            weights: Vec::new(),
            mechanism_last_update: Vec::new(),
        }
    }

    #[test]
    fn the_lowest_emitter_past_immunity_on_a_full_subnet_is_at_risk() {
        // uid 0: lowest emission but immune; uids 1 and 2 tie on emission, 2 registered first.
        let full = |block| {
            snap(
                block,
                4,
                vec![
                    neuron(0, 1, 950),
                    neuron(1, 5, 20),
                    neuron(2, 5, 10),
                    neuron(3, 9, 0),
                ],
            )
        };
        let at = |uid: u8, s: &SubnetSnapshot| risk(s, &AccountId([uid; 32]));
        let s = full(1000);
        assert_eq!(at(0, &s), Some(Risk::Immune { until_block: 1050 }));
        let lowest = Risk::AtRisk {
            position: 0,
            among: 1,
            candidates: 3,
        };
        assert_eq!(
            at(2, &s),
            Some(lowest),
            "ties go to the earliest registration"
        );
        let safe = Some(Risk::Safe {
            subnet_has_room: false,
        });
        assert_eq!(at(1, &s), safe);
        assert_eq!(at(3, &s), safe);
        assert_eq!(at(9, &s), None, "not registered");
        // Once uid 0's immunity ends (block 1050), it is the lowest emitter.
        let later = full(1050);
        assert!(matches!(
            at(0, &later),
            Some(Risk::AtRisk { position: 0, .. })
        ));
        assert_eq!(at(2, &later), safe);
    }

    #[test]
    fn a_subnet_with_room_prunes_nobody() {
        let s = snap(1000, 10, vec![neuron(0, 1, 0), neuron(1, 5, 0)]);
        let got = risk(&s, &AccountId([0; 32]));
        assert_eq!(
            got,
            Some(Risk::Safe {
                subnet_has_room: true
            })
        );
        // One free uid, lowest of one in 20: a registration takes the free uid, the next ours.
        let nearly = snap(1000, 3, vec![neuron(0, 1, 0), neuron(1, 5, 0)]);
        assert!(matches!(
            risk(&nearly, &AccountId([0; 32])),
            Some(Risk::AtRisk { .. })
        ));
    }

    #[test]
    fn among_the_lowest_is_one_in_twenty() {
        // 40 non-immune uids, emission = uid: uids 0 and 1 are the lowest 2.
        let s = snap(
            1000,
            40,
            (0..40u8).map(|u| neuron(u, u64::from(u), 0)).collect(),
        );
        let at = |uid: u8| risk(&s, &AccountId([uid; 32]));
        assert!(matches!(
            at(1),
            Some(Risk::AtRisk {
                position: 1,
                among: 2,
                candidates: 40
            })
        ));
        assert!(matches!(at(2), Some(Risk::Safe { .. })));
        assert_eq!(immunity_ends_at(10, 100), 110);
    }
}
