//! The soak (`soakTempos` epochs from the block every canary was Ready) and the comparison
//! that ends it.

use super::{elapsed_secs, list, reason, CanaryMember, Machine, SOAK_RECHECK, SOON};
use crate::api::{step, verdict, CanaryComparison};
use crate::decide::rollout::compare::{self, Outcome, Sample};
use crate::decide::rollout::window::ChainNow;

impl Machine<'_> {
    pub(super) fn soak(&mut self, canaries: &[&CanaryMember], unready: &[i32]) {
        let i = self.i;
        let s = i.settings;
        let st = &mut self.out.status;
        st.step = step::SOAKING.into();
        if unready.is_empty() {
            st.canary_unready_since = None;
        } else {
            let since = st
                .canary_unready_since
                .get_or_insert_with(|| i.now.to_string())
                .clone();
            let waited = elapsed_secs(Some(&since), i.now);
            if waited > s.deadline_seconds {
                let why = format!(
                    "canary ordinal(s) {} not Ready for {waited} s while soaking (progressDeadlineSeconds {})",
                    list(unready),
                    s.deadline_seconds
                );
                return self.fail(reason::NOT_READY, why);
            }
        }
        let (Some(c), Some(start)) = (i.chain, st.soak_started_block) else {
            return self.progressing(true, "WaitingForChain", "no chain view".into(), Some(SOON));
        };
        st.soak_until_block = c.schedule.nth_epoch_after(start, s.soak_tempos);
        // A subnet without epochs (tempo 0) never changes its figures: compare at once.
        let ran = c
            .schedule
            .epochs_between(start, c.block)
            .unwrap_or(s.soak_tempos);
        if ran < s.soak_tempos || !unready.is_empty() {
            let until = st
                .soak_until_block
                .map(|b| format!(", until about block {b}"))
                .unwrap_or_default();
            let msg = format!(
                "canary ordinal(s) {} soaking: {ran} of {} epoch(s){until}{}",
                list(&st.canaries),
                s.soak_tempos,
                if unready.is_empty() {
                    String::new()
                } else {
                    format!("; ordinal(s) {} not Ready", list(unready))
                }
            );
            return self.progressing(true, "Soaking", msg, Some(SOAK_RECHECK));
        }
        self.judge(canaries, c);
    }

    pub(super) fn judge(&mut self, canaries: &[&CanaryMember], c: ChainNow) {
        let i = self.i;
        let s = i.settings;
        let metric = s.metric;
        let canary_samples: Vec<Sample> = canaries
            .iter()
            .map(|m| Sample {
                ordinal: m.ordinal,
                // off the chain (deregistered) counts as nothing earned
                value: m.figures.as_ref().map_or(Some(0.0), |f| metric.of(f)),
                immune: m.immune,
            })
            .collect();
        let peer = |m: &&CanaryMember| {
            let previous = match i.stable {
                Some(stable) => m.revision.as_deref() == Some(stable),
                None => !self.on_target(m),
            };
            previous
                && !canaries.iter().any(|c| c.ordinal == m.ordinal)
                && m.registered
                && m.ready
                && !m.crash_looping
        };
        let peers: Vec<Sample> = i
            .members
            .iter()
            .filter(peer)
            .filter_map(|m| {
                Some(Sample {
                    ordinal: m.ordinal,
                    value: metric.of(m.figures.as_ref()?),
                    immune: m.immune,
                })
            })
            .collect();
        let j = compare::judge(
            &canary_samples,
            &peers,
            self.out.status.canary_before,
            s.max_drop,
        );
        let result = match j.outcome {
            Outcome::Passed => verdict::PASSED,
            Outcome::Regressed => verdict::REGRESSED,
            Outcome::Inconclusive | Outcome::Unavailable => verdict::INCONCLUSIVE,
        };
        self.out.status.last_comparison = Some(CanaryComparison {
            revision: i.target.into(),
            metric: metric.as_str().into(),
            block: c.block,
            canary: j.canary,
            baseline: j.baseline,
            baseline_source: j.source.as_str().into(),
            peers: j.peers,
            drop: j.drop.map(compare::percent),
            max_drop: s.max_drop_text.clone(),
            result: result.into(),
            message: j.message.clone(),
        });
        let what = format!(
            "{} of canary ordinal(s) {} at block {}: {}",
            metric.as_str(),
            list(&self.out.status.canaries),
            c.block,
            j.message
        );
        match j.outcome {
            Outcome::Regressed => self.fail(reason::REGRESSED, what),
            Outcome::Unavailable => self.pause(
                reason::METRIC_UNAVAILABLE,
                format!("{what}; the canary keeps running (choose another metric to resume)"),
                Vec::new(),
            ),
            Outcome::Passed => {
                self.note(false, "CanaryPassed", what);
                self.batches();
            }
            Outcome::Inconclusive => {
                self.note(
                    true,
                    "CanaryInconclusive",
                    format!("{what}; proceeding without a verdict"),
                );
                self.batches();
            }
        }
    }
}
