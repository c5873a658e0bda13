//! A NeuronSet's plan: which member ordinals to create, update, replace or delete, its counts
//! and conditions, and its burn budget (from the recorded spends, never from memory). Pure.

use crate::api::{format_tao, labels, types, CondSpec, Neuron, NeuronPhase, RolloutStatus};
use crate::decide::rollout::canary::Note;
use kube::ResourceExt;

/// One existing member as the set controller sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberView {
    pub ordinal: i32,
    /// Built from the current template (its template-hash annotation matches).
    pub updated: bool,
    /// Its template-hash annotation: the revision it runs.
    pub revision: Option<String>,
    /// Its spec's image.
    pub image: String,
    /// Its current pod's container crash-loops.
    pub crash_looping: bool,
    /// Ready, as of its current spec, with its pod rolled out to that spec.
    pub ready: bool,
    /// Has a uid on the subnet.
    pub registered: bool,
    pub deregistered: bool,
    /// A registration intent is recorded and unresolved: never delete such a member.
    pub pending_registration: bool,
    /// Already being deleted.
    pub deleting: bool,
}

/// Everything the plan needs, gathered by the controller.
#[derive(Clone, Debug, Default)]
pub struct SetFacts {
    pub replicas: i32,
    pub max_unavailable: i32,
    pub replace_deregistered: bool,
    /// Validation errors of the set's spec, if any: the set then changes nothing.
    pub invalid: Option<String>,
    pub members: Vec<MemberView>,
    /// `budget.maxTotalBurnTao` in rao (None: no budget).
    pub budget_rao: Option<u64>,
    /// What the ledger shows spent for the set, ever (intents at their limit).
    pub spent_rao: u64,
    /// The Subnet's current burn, when the chain has been polled.
    pub burn_rao: Option<u64>,
    /// Ordinals whose name a Neuron the set does not own already has: never created.
    pub taken: Vec<i32>,
    /// Revisions, the previous template, Canary settings and chain figures (None: the plan
    /// leaves `status.rollout` alone and rolls as RollingUpdate).
    pub rollout: Option<RolloutFacts>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetPlan {
    /// Missing ordinals below `replicas`, to apply at the current template.
    pub create: Vec<i32>,
    /// Outdated members to move to the current template now.
    pub update: Vec<i32>,
    /// Members to move back to the previous template (a failed canary).
    pub rollback: Vec<i32>,
    /// Missing members are created at the previous template (a paused canary), not the current.
    pub create_at_stable: bool,
    /// Deregistered members to replace: record their spends, delete member and hotkey Secret.
    pub replace: Vec<i32>,
    /// Ordinals above `replicas` to delete now, highest first.
    pub delete: Vec<i32>,
    /// Ordinals to delete that wait for their registration intent to resolve.
    pub held: Vec<i32>,
    pub counts: Counts,
    pub conditions: Vec<CondSpec>,
    /// The next `status.rollout` (None: keep what is there).
    pub rollout: Option<RolloutStatus>,
    /// Events of the rollout's transitions.
    pub notes: Vec<Note>,
    /// Reason of a canary rollback decided now (for the metric).
    pub rolled_back: Option<&'static str>,
    /// The rollout's own wish to look again (seconds).
    recheck_secs: Option<u64>,
}

/// How soon a set that scales or waits for a squatter to go is looked at again.
const SOON_SECS: u64 = 5;

impl SetPlan {
    /// Seconds until something no watch event may announce should be looked at (a member's pod
    /// rolling out, a soak's epochs, a squatter's deletion); None: nothing is pending.
    pub fn recheck_secs(&self) -> Option<u64> {
        let other = self.conditions.iter().any(|c| {
            c.type_ == types::PROGRESSING && c.status && c.reason == "Scaling"
                || c.type_ == types::READY && c.reason == "MemberNameTaken"
        });
        match (self.recheck_secs, other) {
            (Some(s), true) => Some(s.min(SOON_SECS)),
            (s, false) => s,
            (None, true) => Some(SOON_SECS),
        }
    }

    pub fn unsettled(&self) -> bool {
        self.recheck_secs().is_some()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub replicas: i32,
    pub ready: i32,
    pub registered: i32,
    pub updated: i32,
}

/// Parses the ordinal of member `name` of set `set` (`<set>-<n>`, canonical decimal only).
pub fn ordinal_of(set: &str, name: &str) -> Option<i32> {
    let n = name.strip_prefix(set)?.strip_prefix('-')?;
    let ord: i32 = n.parse().ok()?;
    (ord >= 0 && ord.to_string() == n).then_some(ord)
}

pub fn plan(f: &SetFacts) -> SetPlan {
    let live: Vec<&MemberView> = f.members.iter().filter(|m| !m.deleting).collect();
    let count = |p: fn(&MemberView) -> bool| live.iter().filter(|m| p(m)).count() as i32;
    let counts = Counts {
        replicas: live.len() as i32,
        ready: count(|m| m.ready),
        registered: count(|m| m.registered),
        updated: count(|m| m.updated),
    };
    if let Some(msg) = &f.invalid {
        return SetPlan {
            counts,
            conditions: vec![
                CondSpec::new(types::INVALID_SPEC, true, "InvalidSpec", msg),
                CondSpec::new(types::READY, false, "InvalidSpec", msg),
                CondSpec::new(types::PROGRESSING, false, "InvalidSpec", msg),
            ],
            ..Default::default()
        };
    }
    let exists = |o: i32| f.members.iter().any(|m| m.ordinal == o);
    let create: Vec<i32> = (0..f.replicas.max(0))
        .filter(|o| !exists(*o) && !f.taken.contains(o))
        .collect();

    // Scale-down: highest ordinal first; one with an unresolved registration stops the walk.
    let mut excess: Vec<&MemberView> = live
        .iter()
        .copied()
        .filter(|m| m.ordinal >= f.replicas)
        .collect();
    excess.sort_by_key(|m| std::cmp::Reverse(m.ordinal));
    let mut delete = Vec::new();
    let mut held = Vec::new();
    for m in excess {
        if m.pending_registration || !held.is_empty() {
            held.push(m.ordinal);
        } else {
            delete.push(m.ordinal);
        }
    }

    let budget = budget_state(f);
    let in_range: Vec<&MemberView> = live
        .iter()
        .copied()
        .filter(|m| m.ordinal < f.replicas)
        .collect();
    let replace: Vec<i32> = in_range
        .iter()
        .filter(|m| f.replace_deregistered && m.deregistered && !m.pending_registration)
        .filter(|_| !budget.exhausted)
        .map(|m| m.ordinal)
        .collect();

    let rolling: Vec<&MemberView> = in_range
        .iter()
        .copied()
        .filter(|m| !replace.contains(&m.ordinal))
        .collect();
    let r = rollout_plan::decide(f.rollout.as_ref(), f.max_unavailable, &rolling, &live);

    let mut conditions = vec![
        ready_condition(f.replicas, &counts, r.outdated, &f.taken),
        r.progressing
            .unwrap_or_else(|| scaling_condition(&create, &delete, &held, &replace)),
    ];
    conditions.extend(r.paused);
    if let Some(c) = budget.condition {
        conditions.push(c);
    }
    SetPlan {
        create,
        update: r.update,
        rollback: r.rollback,
        create_at_stable: r.create_at_stable,
        replace,
        delete,
        held,
        counts,
        conditions,
        rollout: r.status,
        notes: r.notes,
        rolled_back: r.rolled_back,
        recheck_secs: r.recheck_secs,
    }
}

fn ready_condition(want: i32, c: &Counts, outdated: u32, taken: &[i32]) -> CondSpec {
    let msg = format!("{}/{} members Ready", c.ready, want.max(0));
    let taken: Vec<String> = taken
        .iter()
        .filter(|o| **o < want)
        .map(|o| o.to_string())
        .collect();
    if !taken.is_empty() {
        let why = format!(
            "{msg}; ordinal(s) {} have the name of a Neuron this set does not own",
            taken.join(", ")
        );
        return CondSpec::new(types::READY, false, "MemberNameTaken", why);
    }
    if c.replicas == want && c.ready == want && outdated == 0 {
        CondSpec::new(types::READY, true, "MembersReady", msg)
    } else if outdated > 0 {
        // e.g. every member Ready after a canary's rollback, all on the previous template
        let why = format!("{msg}; {outdated} not on the current template");
        CondSpec::new(types::READY, false, "MembersNotReady", why)
    } else {
        CondSpec::new(types::READY, false, "MembersNotReady", msg)
    }
}

/// Progressing when the rollout has nothing to say: True while members are created or deleted
/// (Scaling), else False (Complete). The rollout's own states come from `rollout_plan`.
fn scaling_condition(create: &[i32], delete: &[i32], held: &[i32], replace: &[i32]) -> CondSpec {
    let list = |v: &[i32]| {
        v.iter()
            .map(|o| o.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !(create.is_empty() && delete.is_empty() && held.is_empty() && replace.is_empty()) {
        let mut parts = Vec::new();
        for (what, v) in [
            ("creating", create),
            ("deleting", delete),
            (
                "waiting for a registration to resolve before deleting",
                held,
            ),
            ("replacing deregistered", replace),
        ] {
            if !v.is_empty() {
                parts.push(format!("{what} ordinal(s) {}", list(v)));
            }
        }
        return CondSpec::new(types::PROGRESSING, true, "Scaling", parts.join("; "));
    }
    CondSpec::new(
        types::PROGRESSING,
        false,
        "Complete",
        "every member runs the current template",
    )
}

struct BudgetState {
    exhausted: bool,
    condition: Option<CondSpec>,
}

/// Exhausted when nothing remains or the current burn is more than what remains.
fn budget_state(f: &SetFacts) -> BudgetState {
    let Some(cap) = f.budget_rao else {
        return BudgetState {
            exhausted: false,
            condition: None,
        };
    };
    let remaining = cap.saturating_sub(f.spent_rao);
    let exhausted = remaining == 0 || f.burn_rao.is_some_and(|b| b > remaining);
    let spent = format!(
        "spent {} of {} TAO",
        format_tao(f.spent_rao),
        format_tao(cap)
    );
    let condition = if exhausted {
        let why = match f.burn_rao {
            Some(b) if remaining > 0 => format!(
                "; {} TAO remain, below the current burn {} TAO",
                format_tao(remaining),
                format_tao(b)
            ),
            _ => String::new(),
        };
        CondSpec::new(
            types::BUDGET_EXHAUSTED,
            true,
            "BudgetExhausted",
            format!("{spent}{why}"),
        )
    } else {
        CondSpec::new(types::BUDGET_EXHAUSTED, false, "WithinBudget", spent)
    };
    BudgetState {
        exhausted,
        condition: Some(condition),
    }
}

/// A member's status facts (everything but `ready`, which also needs its pod's rollout);
/// `pending`: the ledger has an unresolved registration intent of it.
pub fn member_view(
    set: &str,
    template_hash: &str,
    n: &Neuron,
    pending: bool,
) -> Option<MemberView> {
    let ordinal = ordinal_of(set, &n.name_any())?;
    let st = n.status.clone().unwrap_or_default();
    let revision = n.annotations().get(labels::TEMPLATE_HASH).cloned();
    Some(MemberView {
        ordinal,
        updated: revision.as_deref() == Some(template_hash),
        revision,
        image: n.spec.image.clone(),
        crash_looping: false,
        ready: false,
        registered: st.uid.is_some(),
        deregistered: st.phase == NeuronPhase::Deregistered,
        pending_registration: pending,
        deleting: n.metadata.deletion_timestamp.is_some(),
    })
}

mod budget;
mod rollout_plan;
pub use budget::*;
pub use rollout_plan::{MemberChain, RolloutFacts};

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
