//! Which of a Subnet's hyperparameters changed since its status last recorded them, and the
//! bounded history of those changes. Status is the memory: comparing against what was persisted
//! (not what this process saw) records a change once, across reconciles and operator restarts.

use crate::api::{HyperparameterChange, SubnetStatus};

/// History entries kept in status: enough to explain recent behaviour, small enough that the
/// Subnet object stays small whatever an owner does.
pub const HISTORY_LIMIT: usize = 20;

/// The hyperparameters a fleet depends on, named as their status fields. The current burn is
/// not one: it moves every block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hyperparams {
    pub tempo: Option<u16>,
    pub min_burn_rao: Option<u64>,
    pub max_burn_rao: Option<u64>,
    pub immunity_period: Option<u16>,
    pub weights_version: Option<u64>,
    pub commit_reveal_enabled: Option<bool>,
    pub max_allowed_uids: Option<u16>,
    pub activity_cutoff: Option<u64>,
}

impl Hyperparams {
    pub fn from_status(s: &SubnetStatus) -> Self {
        Self {
            tempo: s.tempo,
            min_burn_rao: s.min_burn_rao,
            max_burn_rao: s.max_burn_rao,
            immunity_period: s.immunity_period,
            weights_version: s.weights_version,
            commit_reveal_enabled: s.commit_reveal_enabled,
            max_allowed_uids: s.max_allowed_uids,
            activity_cutoff: s.activity_cutoff,
        }
    }

    pub fn write_into(&self, s: &mut SubnetStatus) {
        s.tempo = self.tempo;
        s.min_burn_rao = self.min_burn_rao;
        s.max_burn_rao = self.max_burn_rao;
        s.immunity_period = self.immunity_period;
        s.weights_version = self.weights_version;
        s.commit_reveal_enabled = self.commit_reveal_enabled;
        s.max_allowed_uids = self.max_allowed_uids;
        s.activity_cutoff = self.activity_cutoff;
    }

    /// (status field name, value as written there).
    fn fields(&self) -> [(&'static str, Option<String>); 8] {
        fn s<T: ToString>(v: Option<T>) -> Option<String> {
            v.map(|v| v.to_string())
        }
        [
            ("tempo", s(self.tempo)),
            ("minBurnRao", s(self.min_burn_rao)),
            ("maxBurnRao", s(self.max_burn_rao)),
            ("immunityPeriod", s(self.immunity_period)),
            ("weightsVersion", s(self.weights_version)),
            ("commitRevealEnabled", s(self.commit_reveal_enabled)),
            ("maxAllowedUids", s(self.max_allowed_uids)),
            ("activityCutoff", s(self.activity_cutoff)),
        ]
    }
}

/// What to record after a poll.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The values for status.
    pub values: Hyperparams,
    /// `status.history` with the new changes appended.
    pub history: Vec<HyperparameterChange>,
    /// The new changes alone: one `HyperparameterChanged` Event each.
    pub changes: Vec<HyperparameterChange>,
}

/// Compares the snapshot's values (`observed`, None when there is no snapshot: not polled yet
/// since a restart, or the netuid gone) with the ones `prev` recorded. Without a snapshot the
/// recorded values are kept, so a change made while the operator was down or the chain away is
/// still reported once it is seen. A parameter with no recorded value (first observation, or a
/// field this operator version added) is recorded without an entry.
pub fn record_changes(
    prev: &SubnetStatus,
    observed: Option<&Hyperparams>,
    block: u64,
    time: &str,
) -> Recorded {
    let old = Hyperparams::from_status(prev);
    let Some(new) = observed else {
        return Recorded {
            values: old,
            history: prev.history.clone(),
            changes: Vec::new(),
        };
    };
    let changes: Vec<_> = old
        .fields()
        .into_iter()
        .zip(new.fields())
        .filter_map(|((parameter, from), (_, to))| match (from, to) {
            (Some(from), Some(to)) if from != to => Some(HyperparameterChange {
                block,
                time: time.to_string(),
                parameter: parameter.to_string(),
                from,
                to,
            }),
            _ => None,
        })
        .collect();
    let mut history = prev.history.clone();
    history.extend(changes.iter().cloned());
    let excess = history.len().saturating_sub(HISTORY_LIMIT);
    history.drain(..excess);
    Recorded {
        values: new.clone(),
        history,
        changes,
    }
}

/// The Event note: `tempo changed 360 → 720 at block 1234`.
pub fn change_message(c: &HyperparameterChange) -> String {
    format!(
        "{} changed {} → {} at block {}",
        c.parameter, c.from, c.to, c.block
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(tempo: u16, immunity: u16, cr: bool) -> Hyperparams {
        Hyperparams {
            tempo: Some(tempo),
            min_burn_rao: Some(500_000),
            max_burn_rao: Some(100_000_000_000),
            immunity_period: Some(immunity),
            weights_version: Some(0),
            commit_reveal_enabled: Some(cr),
            max_allowed_uids: Some(256),
            activity_cutoff: Some(5000),
        }
    }

    fn status(v: &Hyperparams, history: Vec<HyperparameterChange>) -> SubnetStatus {
        let mut s = SubnetStatus {
            history,
            ..Default::default()
        };
        v.write_into(&mut s);
        s
    }

    fn entry(block: u64, parameter: &str, from: &str, to: &str) -> HyperparameterChange {
        HyperparameterChange {
            block,
            time: "t".into(),
            parameter: parameter.into(),
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn changes_table() {
        let base = all(360, 5000, true);
        let only_tempo_known = Hyperparams {
            tempo: Some(360),
            ..Default::default()
        };
        // (recorded, observed, expected changes as (parameter, from, to))
        type Case = (
            SubnetStatus,
            Option<Hyperparams>,
            Vec<(&'static str, &'static str, &'static str)>,
        );
        let cases: Vec<Case> = vec![
            // first observation: values recorded, nothing reported
            (SubnetStatus::default(), Some(base.clone()), vec![]),
            // nothing changed
            (status(&base, vec![]), Some(base.clone()), vec![]),
            (
                status(&base, vec![]),
                Some(all(720, 5000, true)),
                vec![("tempo", "360", "720")],
            ),
            // two at once, in field order
            (
                status(&base, vec![]),
                Some(all(720, 4000, false)),
                vec![
                    ("tempo", "360", "720"),
                    ("immunityPeriod", "5000", "4000"),
                    ("commitRevealEnabled", "true", "false"),
                ],
            ),
            // a field newly tracked (operator upgrade): recorded silently, others compared
            (
                status(&only_tempo_known, vec![]),
                Some(all(720, 5000, true)),
                vec![("tempo", "360", "720")],
            ),
            // no snapshot: nothing observed, nothing changed
            (status(&base, vec![]), None, vec![]),
        ];
        for (i, (prev, observed, want)) in cases.into_iter().enumerate() {
            let r = record_changes(&prev, observed.as_ref(), 1234, "t");
            let got: Vec<_> = r
                .changes
                .iter()
                .map(|c| (c.parameter.as_str(), c.from.as_str(), c.to.as_str()))
                .collect();
            assert_eq!(got, want, "case {i}");
            assert!(r.changes.iter().all(|c| c.block == 1234), "case {i}");
            assert_eq!(r.history.len(), r.changes.len(), "case {i}");
            let expected_values = observed.unwrap_or_else(|| Hyperparams::from_status(&prev));
            assert_eq!(r.values, expected_values, "case {i}");
        }
    }

    #[test]
    fn recorded_values_survive_a_missing_snapshot_and_report_later() {
        let prev = status(&all(360, 5000, true), vec![entry(1, "tempo", "100", "360")]);
        let kept = record_changes(&prev, None, 0, "t");
        assert_eq!(kept.values, all(360, 5000, true));
        assert_eq!(kept.history, prev.history);
        // written back and compared on the next snapshot: the change is seen exactly once
        let mut carried = SubnetStatus {
            history: kept.history,
            ..Default::default()
        };
        kept.values.write_into(&mut carried);
        let seen = record_changes(&carried, Some(&all(720, 5000, true)), 50, "t");
        assert_eq!(seen.changes, vec![entry(50, "tempo", "360", "720")]);
        let mut after = SubnetStatus {
            history: seen.history,
            ..Default::default()
        };
        seen.values.write_into(&mut after);
        let again = record_changes(&after, Some(&all(720, 5000, true)), 51, "t");
        assert!(again.changes.is_empty(), "recorded once: {again:?}");
        assert_eq!(again.history.len(), 2);
    }

    #[test]
    fn history_is_capped_newest_last() {
        let old: Vec<_> = (0..HISTORY_LIMIT as u64)
            .map(|b| entry(b, "tempo", &b.to_string(), &(b + 1).to_string()))
            .collect();
        let prev = status(&all(360, 5000, true), old);
        let r = record_changes(&prev, Some(&all(720, 4000, true)), 999, "t");
        assert_eq!(r.history.len(), HISTORY_LIMIT);
        assert_eq!(r.history[0].block, 2, "the two oldest dropped");
        let tail: Vec<_> = r.history[HISTORY_LIMIT - 2..]
            .iter()
            .map(|c| (c.block, c.parameter.as_str()))
            .collect();
        assert_eq!(tail, vec![(999, "tempo"), (999, "immunityPeriod")]);
    }

    #[test]
    fn message_names_parameter_values_and_block() {
        assert_eq!(
            change_message(&entry(1234, "tempo", "360", "720")),
            "tempo changed 360 → 720 at block 1234"
        );
    }
}
