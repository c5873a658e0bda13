//! The rollout part of a set's plan: RollingUpdate or Canary, and `status.rollout` (revisions per
//! member, the previous template). Pure.

use super::MemberView;
use crate::api::{
    step, CondSpec, NeuronSpec, RevisionMembers, Role, RolloutStatus, StableRevision,
};
use crate::decide::rollout::canary::{self, CanaryInput, CanaryMember, Note};
use crate::decide::rollout::settings::{Figures, Settings};
use crate::decide::rollout::window::ChainNow;
use crate::decide::rollout::{self as rolling};
use std::collections::BTreeMap;

/// What the rollout needs beyond the member views (gathered by the controller).
#[derive(Clone, Debug)]
pub struct RolloutFacts {
    /// Resolved Canary settings; None: RollingUpdate.
    pub canary: Option<Settings>,
    pub role: Role,
    /// Revision (template hash) of spec.template, and the template itself.
    pub target: String,
    pub template: NeuronSpec,
    /// Hash of spec.template and spec.rollout.
    pub spec_hash: String,
    /// The previous template: from status, else rebuilt from a member that runs it.
    pub stable: Option<StableRevision>,
    pub chain: Option<ChainNow>,
    /// Chain figures of the registered members, by ordinal.
    pub figures: BTreeMap<i32, MemberChain>,
    pub prev: RolloutStatus,
    pub now: jiff::Timestamp,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MemberChain {
    pub figures: Figures,
    pub immune: bool,
    pub last_update: u64,
}

#[derive(Clone, Debug, Default)]
pub(super) struct RolloutDecision {
    pub update: Vec<i32>,
    pub rollback: Vec<i32>,
    /// None: the rollout has nothing to say (complete), so scaling or Complete is shown.
    pub progressing: Option<CondSpec>,
    pub paused: Option<CondSpec>,
    pub outdated: u32,
    pub status: Option<RolloutStatus>,
    pub notes: Vec<Note>,
    pub rolled_back: Option<&'static str>,
    pub recheck_secs: Option<u64>,
    pub create_at_stable: bool,
}

/// `rolling`: members in range and not being replaced; `live`: every member not being deleted.
pub(super) fn decide(
    rollout: Option<&RolloutFacts>,
    max_unavailable: i32,
    rolling: &[&MemberView],
    live: &[&MemberView],
) -> RolloutDecision {
    let max = max_unavailable.max(1) as u32;
    let Some(r) = rollout else {
        return rolling_update(rolling, max);
    };
    let Some(settings) = &r.canary else {
        let mut d = rolling_update(rolling, max);
        let step = if d.outdated == 0 {
            step::COMPLETE
        } else {
            step::ROLLING
        };
        d.status = Some(RolloutStatus {
            update_revision: r.target.clone(),
            step: step.into(),
            last_comparison: r.prev.last_comparison.clone(),
            ..Default::default()
        });
        finish(&mut d, r, live);
        return d;
    };
    let members: Vec<CanaryMember> = rolling
        .iter()
        .map(|m| {
            let chain = r.figures.get(&m.ordinal);
            CanaryMember {
                ordinal: m.ordinal,
                revision: m.revision.clone(),
                ready: m.ready,
                registered: m.registered,
                crash_looping: m.crash_looping,
                figures: chain.map(|c| c.figures),
                immune: chain.is_some_and(|c| c.immune),
                last_update: chain.map(|c| c.last_update),
            }
        })
        .collect();
    let out = canary::step(&CanaryInput {
        settings,
        role: r.role,
        target: &r.target,
        spec_hash: &r.spec_hash,
        stable: r.stable.as_ref().map(|s| s.revision.as_str()),
        members: &members,
        chain: r.chain,
        prev: &r.prev,
        max_unavailable: max,
        now: r.now,
    });
    let mut conditions = out.conditions.into_iter();
    let progressing = conditions.next().filter(|c| c.reason != "Complete");
    let paused = out.status.paused.is_some();
    let mut d = RolloutDecision {
        update: out.update,
        rollback: out.rollback,
        progressing,
        paused: conditions.next(),
        outdated: rolling.iter().filter(|m| !m.updated).count() as u32,
        status: Some(out.status),
        notes: out.notes,
        rolled_back: out.rolled_back,
        recheck_secs: out.recheck_secs,
        create_at_stable: paused && r.stable.is_some(),
    };
    finish(&mut d, r, live);
    d
}

/// The existing behaviour: maxUnavailable at a time, an unready updated member holding its slot.
fn rolling_update(members: &[&MemberView], max: u32) -> RolloutDecision {
    let list = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
    // A member without a uid serves nothing, so it holds no rollout slot; a registered member
    // that is not Ready on its new spec does, which pauses the rollout on it.
    let rolling: Vec<rolling::Member> = members
        .iter()
        .map(|m| rolling::Member {
            ordinal: m.ordinal as u32,
            updated: m.updated,
            ready: m.ready || !m.registered,
        })
        .collect();
    let r = rolling::plan(&rolling, max);
    let progressing = if !r.update.is_empty() {
        Some(CondSpec::new(
            crate::api::types::PROGRESSING,
            true,
            "RollingUpdate",
            format!(
                "updating ordinal(s) {}; {} member(s) on an old template",
                list(&r.update),
                r.outdated
            ),
        ))
    } else if r.outdated > 0 {
        Some(CondSpec::new(
            crate::api::types::PROGRESSING,
            false,
            "RolloutPaused",
            format!(
                "waiting for ordinal(s) {} to become Ready before updating the next; {} member(s) on an old template",
                list(&r.waiting_on),
                r.outdated
            ),
        ))
    } else {
        None
    };
    RolloutDecision {
        update: r.update.iter().map(|o| *o as i32).collect(),
        outdated: r.outdated,
        recheck_secs: progressing.is_some().then_some(5),
        progressing,
        ..Default::default()
    }
}

/// The previous template (the current one once complete) and which revision each member runs.
fn finish(d: &mut RolloutDecision, r: &RolloutFacts, live: &[&MemberView]) {
    let Some(st) = d.status.as_mut() else {
        return;
    };
    st.stable = if st.step == step::COMPLETE {
        Some(StableRevision {
            revision: r.target.clone(),
            template: r.template.clone(),
        })
    } else {
        r.stable.clone()
    };
    let mut by_rev: BTreeMap<String, RevisionMembers> = BTreeMap::new();
    for m in live {
        let rev = m.revision.clone().unwrap_or_default();
        let e = by_rev
            .entry(rev.clone())
            .or_insert_with(|| RevisionMembers {
                revision: rev,
                image: m.image.clone(),
                ordinals: Vec::new(),
            });
        e.ordinals.push(m.ordinal);
    }
    let mut revisions: Vec<RevisionMembers> = by_rev.into_values().collect();
    for rev in &mut revisions {
        rev.ordinals.sort_unstable();
    }
    // The update revision first, then by lowest ordinal: the order `kubectl get -o yaml` reads.
    revisions.sort_by_key(|v| (v.revision != r.target, v.ordinals.first().copied()));
    st.revisions = revisions;
}

#[cfg(test)]
#[path = "rollout_plan_tests.rs"]
mod tests;
