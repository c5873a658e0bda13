//! The Canary strategy, as a step function over `status.rollout`. Pure: facts and the previous
//! status in, the members to update or roll back, the next status, conditions and Events out.
//!
//! Canary (choose canaries, restart them in their window, wait until Ready) → Soaking
//! (`soakTempos` epochs from the block they were all Ready) → comparison → Batches (the rest,
//! `maxUnavailable` at a time, each in its window) → Complete. A crash-looping canary, one not
//! Ready within the deadline, or a regressed comparison rolls every member on the new revision
//! back to the previous one and pauses: nothing moves until spec.template or spec.rollout
//! changes (`PausedRollout::spec_hash`).

use super::compare::{self, Outcome, Sample};
use super::rolling;
use super::settings::{Figures, Settings};
use super::window::{ChainNow, Gate};
use crate::api::{
    step, types, verdict, CanaryComparison, CondSpec, PausedRollout, Role, RolloutStatus,
};

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
/// A soak lasts epochs (72 min each on mainnet): no need to look every few seconds.
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

    fn canary(&mut self) {
        let i = self.i;
        let s = i.settings;
        self.out.status.step = step::CANARY.into();
        let present = |o: &i32| i.members.iter().any(|m| m.ordinal == *o);
        self.out.status.canaries.retain(present);
        if self.out.status.canaries.is_empty() {
            self.choose_canaries();
        }
        let canaries: Vec<&CanaryMember> = i
            .members
            .iter()
            .filter(|m| self.out.status.canaries.contains(&m.ordinal))
            .collect();
        let waiting: Vec<&CanaryMember> = canaries
            .iter()
            .copied()
            .filter(|m| !self.on_target(m))
            .collect();
        if !waiting.is_empty() {
            let go = self.gated(&waiting);
            if !go.is_empty() {
                self.out.status.canary_updated_at = Some(i.now.to_string());
            }
            let msg = self.window_message("canary", &go, &waiting);
            self.out.update = go;
            return self.progressing(true, "CanaryUpdating", msg, Some(SOON));
        }
        self.out.status.due_since_block = None;
        let looping: Vec<i32> = canaries
            .iter()
            .filter(|m| m.crash_looping)
            .map(|m| m.ordinal)
            .collect();
        if !looping.is_empty() {
            let why = format!(
                "canary ordinal(s) {} crash-loop on revision {}",
                list(&looping),
                i.target
            );
            return self.fail(reason::CRASH_LOOPING, why);
        }
        let unready: Vec<i32> = canaries
            .iter()
            .filter(|m| m.registered && !m.ready)
            .map(|m| m.ordinal)
            .collect();
        let st = &mut self.out.status;
        if st.soak_started_block.is_none() {
            if !unready.is_empty() {
                let waited = elapsed_secs(st.canary_updated_at.as_deref(), i.now);
                if waited > s.deadline_seconds {
                    let why = format!(
                        "canary ordinal(s) {} not Ready {waited} s after the update (progressDeadlineSeconds {})",
                        list(&unready),
                        s.deadline_seconds
                    );
                    return self.fail(reason::NOT_READY, why);
                }
                let msg = format!(
                    "waiting for canary ordinal(s) {} to become Ready",
                    list(&unready)
                );
                return self.progressing(true, "CanaryUpdating", msg, Some(SOON));
            }
            let Some(c) = i.chain else {
                return self.progressing(
                    true,
                    "WaitingForChain",
                    "the Subnet has not been polled yet".into(),
                    Some(SOON),
                );
            };
            st.soak_started_block = Some(c.block);
        }
        self.soak(&canaries, &unready);
    }

    fn soak(&mut self, canaries: &[&CanaryMember], unready: &[i32]) {
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

    fn judge(&mut self, canaries: &[&CanaryMember], c: ChainNow) {
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

    fn choose_canaries(&mut self) {
        let i = self.i;
        let s = i.settings;
        // Judgeable first: registered, Ready, past immunity, earning; then one in immunity (it
        // is judged on its own figure before); one earning nothing would look regressed next to
        // its peers for reasons of its own; then lower ordinals.
        let tier = |m: &CanaryMember| {
            let earning = m
                .figures
                .as_ref()
                .and_then(|f| s.metric.of(f))
                .is_some_and(|v| v > 0.0);
            match (m.registered, m.ready, earning, m.immune) {
                (true, true, true, false) => 0,
                (true, true, true, true) => 1,
                (true, true, false, _) => 2,
                (true, false, _, _) => 3,
                _ => 4,
            }
        };
        let mut candidates: Vec<&CanaryMember> =
            i.members.iter().filter(|m| !self.on_target(m)).collect();
        candidates.sort_by_key(|m| (tier(m), m.ordinal));
        candidates.truncate(s.canary as usize);
        let mut chosen: Vec<i32> = candidates.iter().map(|m| m.ordinal).collect();
        chosen.sort_unstable();
        let before: Vec<f64> = candidates
            .iter()
            .filter(|m| m.registered)
            .filter_map(|m| s.metric.of(m.figures.as_ref()?))
            .collect();
        let st = &mut self.out.status;
        st.canary_before = compare::median(&before);
        st.canaries = chosen.clone();
        st.canary_updated_at = None;
        st.soak_started_block = None;
        st.canary_unready_since = None;
        st.due_since_block = None;
        self.note(
            false,
            "CanaryStarted",
            format!(
                "revision {}: canary ordinal(s) {} first, judged on {} after {} epoch(s) against the members not yet updated (maxDrop {})",
                i.target,
                list(&chosen),
                s.metric.as_str(),
                s.soak_tempos,
                s.max_drop_text
            ),
        );
    }

    /// The members of `due` whose restart window is open now (or that waited past the bound).
    fn gated(&mut self, due: &[&CanaryMember]) -> Vec<i32> {
        let i = self.i;
        let tempo = i.chain.map_or(0, |c| c.schedule.tempo);
        let gate = Gate {
            role: i.role,
            window: i.settings.window_blocks(tempo),
            max_delay: i.settings.max_delay_blocks(tempo),
        };
        let since = self.out.status.due_since_block;
        let go: Vec<i32> = due
            .iter()
            .filter(|m| gate.open(i.chain.as_ref(), m.registered, m.last_update, since))
            .map(|m| m.ordinal)
            .collect();
        self.out.status.due_since_block = if go.len() < due.len() {
            since.or(i.chain.map(|c| c.block))
        } else {
            None
        };
        go
    }

    fn window_message(&self, what: &str, go: &[i32], due: &[&CanaryMember]) -> String {
        let waiting: Vec<i32> = due
            .iter()
            .map(|m| m.ordinal)
            .filter(|o| !go.contains(o))
            .collect();
        let mut parts = Vec::new();
        if !go.is_empty() {
            // Where in the epoch the restart falls, so it can be checked.
            let at =
                self.i.chain.map(
                    |c| match (self.i.role, c.schedule.blocks_since_epoch(c.block)) {
                        (Role::Miner, Some(n)) => format!(
                            " at block {}, {n} block(s) after an epoch boundary",
                            c.block
                        ),
                        _ => format!(" at block {}", c.block),
                    },
                );
            parts.push(format!(
                "updating {what} ordinal(s) {}{}",
                list(go),
                at.unwrap_or_default()
            ));
        }
        if !waiting.is_empty() {
            let anchor = match self.i.role {
                Role::Miner => "an epoch boundary",
                Role::Validator => "their next weight set",
            };
            parts.push(format!(
                "{what} ordinal(s) {} wait for their restart window after {anchor}",
                list(&waiting)
            ));
        }
        parts.join("; ")
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

    fn batches(&mut self) {
        let i = self.i;
        let p = i.prev;
        let st = &mut self.out.status;
        if st.step == step::BATCHES || p.step == step::BATCHES {
            st.canaries = p.canaries.clone();
            st.due_since_block = p.due_since_block;
        } else {
            st.due_since_block = None;
        }
        st.step = step::BATCHES.into();
        let rolling: Vec<rolling::Member> = i
            .members
            .iter()
            .map(|m| rolling::Member {
                ordinal: m.ordinal as u32,
                updated: self.on_target(m),
                ready: m.ready || !m.registered,
            })
            .collect();
        let r = rolling::plan(&rolling, i.max_unavailable);
        if r.outdated == 0 {
            return self.complete();
        }
        if r.update.is_empty() {
            self.out.status.due_since_block = None;
            let waiting: Vec<i32> = r.waiting_on.iter().map(|o| *o as i32).collect();
            let msg = format!(
                "waiting for ordinal(s) {} to become Ready before updating the next; {} member(s) on an old template",
                list(&waiting),
                r.outdated
            );
            return self.progressing(false, "RolloutPaused", msg, Some(SOON));
        }
        let due: Vec<&CanaryMember> = i
            .members
            .iter()
            .filter(|m| r.update.contains(&(m.ordinal as u32)))
            .collect();
        let go = self.gated(&due);
        let msg = format!(
            "{}; {} member(s) on an old template",
            self.window_message("batch", &go, &due),
            r.outdated
        );
        self.out.update = go;
        self.progressing(true, "RollingUpdate", msg, Some(SOON));
    }
}

#[cfg(test)]
#[path = "canary_tests.rs"]
mod tests;
