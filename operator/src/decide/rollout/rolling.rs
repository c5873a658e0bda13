//! The RollingUpdate plan: which members to move to the new template now. Pure.
//!
//! Members change in ordinal order, at most `maxUnavailable` at a time; an updated member that is
//! not Ready holds its slot, so a member that never becomes Ready pauses the rollout instead of
//! letting it march on.

/// One member as the set controller sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub ordinal: u32,
    /// Its spec already matches the current template.
    pub updated: bool,
    pub ready: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RolloutPlan {
    /// Ordinals to update now, lowest first.
    pub update: Vec<u32>,
    /// Updated members that are not Ready yet (holding rollout slots), lowest first.
    pub waiting_on: Vec<u32>,
    /// Members still on an old template.
    pub outdated: u32,
}

impl RolloutPlan {
    pub fn complete(&self) -> bool {
        self.outdated == 0 && self.waiting_on.is_empty()
    }
}

pub fn plan(members: &[Member], max_unavailable: u32) -> RolloutPlan {
    let mut sorted = members.to_vec();
    sorted.sort_by_key(|m| m.ordinal);
    let outdated: Vec<u32> = sorted
        .iter()
        .filter(|m| !m.updated)
        .map(|m| m.ordinal)
        .collect();
    // Only a set that is rolling holds slots for unready updated members; otherwise a member
    // that cannot become Ready (e.g. waiting for registration) would be counted for nothing.
    let waiting_on: Vec<u32> = if outdated.is_empty() {
        Vec::new()
    } else {
        sorted
            .iter()
            .filter(|m| m.updated && !m.ready)
            .map(|m| m.ordinal)
            .collect()
    };
    let slots = (max_unavailable.max(1) as usize).saturating_sub(waiting_on.len());
    RolloutPlan {
        update: outdated.iter().copied().take(slots).collect(),
        outdated: outdated.len() as u32,
        waiting_on,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(ordinal: u32, updated: bool, ready: bool) -> Member {
        Member {
            ordinal,
            updated,
            ready,
        }
    }

    #[test]
    fn rollout_table() {
        // (name, members, maxUnavailable, update now, waiting on)
        type Case = (&'static str, Vec<Member>, u32, Vec<u32>, Vec<u32>);
        let cases: Vec<Case> = vec![
            (
                "nothing to do",
                vec![m(0, true, true), m(1, true, true)],
                1,
                vec![],
                vec![],
            ),
            (
                "starts at ordinal 0",
                vec![m(1, false, true), m(0, false, true)],
                1,
                vec![0],
                vec![],
            ),
            (
                "waits for the updated member",
                vec![m(0, true, false), m(1, false, true)],
                1,
                vec![],
                vec![0],
            ),
            (
                "moves on once ready",
                vec![m(0, true, true), m(1, false, true), m(2, false, true)],
                1,
                vec![1],
                vec![],
            ),
            (
                "maxUnavailable 2",
                vec![m(0, false, true), m(1, false, true), m(2, false, true)],
                2,
                vec![0, 1],
                vec![],
            ),
            (
                "one slot held, one free",
                vec![m(0, true, false), m(1, false, true), m(2, false, true)],
                2,
                vec![1],
                vec![0],
            ),
            (
                "maxUnavailable 0 behaves as 1",
                vec![m(0, false, true)],
                0,
                vec![0],
                vec![],
            ),
            (
                "unready but done: no slots held",
                vec![m(0, true, false), m(1, true, true)],
                1,
                vec![],
                vec![],
            ),
        ];
        for (name, members, max, update, waiting) in cases {
            let p = plan(&members, max);
            assert_eq!(p.update, update, "{name}: update");
            assert_eq!(p.waiting_on, waiting, "{name}: waiting");
        }
    }

    #[test]
    fn completion() {
        assert!(plan(&[m(0, true, true)], 1).complete());
        assert!(!plan(&[m(0, true, true), m(1, false, true)], 1).complete());
    }
}
