//! The Canary strategy, as a step function over `status.rollout`. Pure: facts and the previous
//! status in, the members to update or roll back, the next status, conditions and Events out.
//!
//! Canary (choose canaries, restart them in their window, wait until Ready) → Soaking
//! (`soakTempos` epochs from the block they were all Ready) → comparison → Batches (the rest,
//! `maxUnavailable` at a time, each in its window) → Complete. A crash-looping canary, one not
//! Ready within the deadline, or a regressed comparison rolls every member on the new revision
//! back to the previous one and pauses: nothing moves until spec.template or spec.rollout
//! changes (`PausedRollout::spec_hash`).

use super::settings::{Figures, Settings};
use super::window::ChainNow;
use crate::api::{step, types, CondSpec, PausedRollout, Role, RolloutStatus};

/// One member in range, as the canary sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CanaryMember {
    pub ordinal: i32,
    /// Its template-hash annotation.
    pub revision: Option<String>,
    /// Ready on its current spec, pod rolled out.
    pub ready: bool,
    pub registered: bool,
    /// Its current pod's container crash-loops.
    pub crash_looping: bool,
    /// None: not in the chain snapshot.
    pub figures: Option<Figures>,
    pub immune: bool,
    pub last_update: Option<u64>,
}

pub struct CanaryInput<'a> {
    pub settings: &'a Settings,
    pub role: Role,
    /// Revision of spec.template.
    pub target: &'a str,
    /// Hash of spec.template and spec.rollout: a paused rollout resumes when it changes.
    pub spec_hash: &'a str,
    /// Revision of the previous template, when one is recorded (a rollback needs it).
    pub stable: Option<&'a str>,
    pub members: &'a [CanaryMember],
    pub chain: Option<ChainNow>,
    pub prev: &'a RolloutStatus,
    pub max_unavailable: u32,
    pub now: jiff::Timestamp,
}

/// An Event to publish on the set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub warning: bool,
    pub reason: &'static str,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CanaryOutcome {
    pub update: Vec<i32>,
    pub rollback: Vec<i32>,
    /// The next status, without `revisions` and `stable` (the caller knows the templates).
    pub status: RolloutStatus,
    /// Progressing and RolloutPaused.
    pub conditions: Vec<CondSpec>,
    pub notes: Vec<Note>,
    /// The reason of a rollback decided in this step (for the metric).
    pub rolled_back: Option<&'static str>,
    /// Look again in this many seconds; None: nothing is pending.
    pub recheck_secs: Option<u64>,
}

pub mod reason {
    pub const REGRESSED: &str = "CanaryRegressed";
    pub const CRASH_LOOPING: &str = "CanaryCrashLooping";
    pub const NOT_READY: &str = "CanaryNotReady";
    pub const METRIC_UNAVAILABLE: &str = "MetricUnavailable";
}

const SOON: u64 = 5;
/// A soak lasts epochs (72 min each on mainnet): no need to look every few seconds; the figures
/// moving at each epoch wake the set anyway (poll event → member status → set).
const SOAK_RECHECK: u64 = 15;

pub fn step(i: &CanaryInput) -> CanaryOutcome {
    let mut m = Machine {
        i,
        out: CanaryOutcome {
            status: RolloutStatus {
                update_revision: i.target.into(),
                last_comparison: i.prev.last_comparison.clone(),
                ..Default::default()
            },
            ..Default::default()
        },
    };
    m.run();
    let paused = m
        .out
        .status
        .paused
        .as_ref()
        .map(|p| (p.reason.clone(), p.message.clone()));
    m.out.conditions.push(match paused {
        Some((reason, msg)) => CondSpec::new(types::ROLLOUT_PAUSED, true, reason, msg),
        None => CondSpec::new(
            types::ROLLOUT_PAUSED,
            false,
            "NotPaused",
            "no canary has failed",
        ),
    });
    m.out
}

struct Machine<'a> {
    i: &'a CanaryInput<'a>,
    out: CanaryOutcome,
}

fn list(v: &[i32]) -> String {
    v.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
}

fn elapsed_secs(since: Option<&str>, now: jiff::Timestamp) -> i64 {
    since
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .map_or(0, |t| now.as_second() - t.as_second())
}

impl Machine<'_> {
    fn on_target(&self, m: &CanaryMember) -> bool {
        m.revision.as_deref() == Some(self.i.target)
    }

    fn progressing(&mut self, status: bool, reason: &str, msg: String, recheck: Option<u64>) {
        self.out
            .conditions
            .push(CondSpec::new(types::PROGRESSING, status, reason, msg));
        self.out.recheck_secs = recheck;
    }

    fn note(&mut self, warning: bool, reason: &'static str, message: String) {
        self.out.notes.push(Note {
            warning,
            reason,
            message,
        });
    }

    fn run(&mut self) {
        let i = self.i;
        if let Some(p) = i
            .prev
            .paused
            .as_ref()
            .filter(|p| p.spec_hash == i.spec_hash)
        {
            return self.stay_paused(p.clone());
        }
        let outdated = i.members.iter().filter(|m| !self.on_target(m)).count();
        if i.prev.paused.is_some() {
            self.note(
                false,
                "RolloutResumed",
                format!("spec changed: rolling out revision {}", i.target),
            );
        }
        let p = i.prev;
        let same = p.update_revision == i.target && p.paused.is_none();
        // A set whose every member is a canary has nothing outdated once they are updated:
        // it still soaks and is judged.
        let in_canary = same && (p.step == step::CANARY || p.step == step::SOAKING);
        if outdated == 0 && !in_canary {
            return self.complete();
        }
        if same && p.step == step::BATCHES {
            return self.batches();
        }
        if in_canary {
            let st = &mut self.out.status;
            st.canaries = p.canaries.clone();
            st.canary_updated_at = p.canary_updated_at.clone();
            st.canary_before = p.canary_before;
            st.soak_started_block = p.soak_started_block;
            st.canary_unready_since = p.canary_unready_since.clone();
            st.due_since_block = p.due_since_block;
        }
        self.canary()
    }

    fn complete(&mut self) {
        let i = self.i;
        if i.prev.step != step::COMPLETE && !i.prev.step.is_empty() {
            self.note(
                false,
                "RolloutComplete",
                format!("every member runs revision {}", i.target),
            );
        }
        self.out.status = RolloutStatus {
            update_revision: i.target.into(),
            step: step::COMPLETE.into(),
            last_comparison: self.out.status.last_comparison.take(),
            ..Default::default()
        };
        self.out.update.clear();
        self.progressing(
            false,
            "Complete",
            "every member runs the current template".into(),
            None,
        );
    }

    fn stay_paused(&mut self, p: PausedRollout) {
        let i = self.i;
        // Whatever still runs the failed revision goes back (a rollback whose write failed).
        let rollback: Vec<i32> = match (i.stable, p.reason.as_str()) {
            (Some(_), r) if r != reason::METRIC_UNAVAILABLE => i
                .members
                .iter()
                .filter(|m| self.on_target(m))
                .map(|m| m.ordinal)
                .collect(),
            _ => Vec::new(),
        };
        let settling = !rollback.is_empty() || i.members.iter().any(|m| m.registered && !m.ready);
        let st = &mut self.out.status;
        st.step = step::PAUSED.into();
        st.canaries = i.prev.canaries.clone();
        st.paused = Some(p.clone());
        self.out.rollback = rollback;
        let msg = format!(
            "{}; change spec.template or spec.rollout to resume",
            p.message
        );
        self.progressing(false, "RolloutPaused", msg, settling.then_some(SOON));
    }

    fn fail(&mut self, why: &'static str, message: String) {
        let i = self.i;
        let on_new: Vec<i32> = i
            .members
            .iter()
            .filter(|m| self.on_target(m))
            .map(|m| m.ordinal)
            .collect();
        let (rollback, done) = match i.stable {
            Some(stable) if !on_new.is_empty() => (
                on_new.clone(),
                format!(
                    "; rolled back ordinal(s) {} to revision {stable}",
                    list(&on_new)
                ),
            ),
            Some(_) => (Vec::new(), String::new()),
            None => (
                Vec::new(),
                "; no previous template is recorded: nothing rolled back".into(),
            ),
        };
        if !rollback.is_empty() {
            self.out.rolled_back = Some(why);
        }
        self.pause(why, format!("{message}{done}"), rollback);
    }

    fn pause(&mut self, why: &'static str, message: String, rollback: Vec<i32>) {
        let i = self.i;
        self.note(
            true,
            why,
            format!("{message}; rollout paused until spec.template or spec.rollout changes"),
        );
        let p = PausedRollout {
            revision: i.target.into(),
            spec_hash: i.spec_hash.into(),
            reason: why.into(),
            message,
            at: i.now.to_string(),
        };
        let st = &mut self.out.status;
        st.step = step::PAUSED.into();
        st.paused = Some(p.clone());
        st.due_since_block = None;
        self.out.rollback = rollback;
        self.progressing(
            false,
            "RolloutPaused",
            format!(
                "{}; change spec.template or spec.rollout to resume",
                p.message
            ),
            Some(SOON),
        );
    }
}

mod batches;
mod soak;
mod start;

#[cfg(test)]
mod tests;
