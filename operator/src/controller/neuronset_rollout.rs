//! What a NeuronSet's rollout needs from the cluster and the chain cache (the previous template,
//! the members' chain figures, crash-looping pods), and how its outcome is told (Events, the
//! rollback metric).

use super::context::Context;
use super::error::Result;
use crate::api::{labels, step, Neuron, NeuronSet, StableRevision};
use crate::chain::{AccountId, SubnetKey, SubnetSnapshot};
use crate::children::{rollout_spec_hash, template_hash, template_of_member};
use crate::decide::neuronset::{self as plan, MemberChain, MemberView, RolloutFacts};
use crate::decide::rollout::canary::Note;
use crate::decide::rollout::epoch::Schedule;
use crate::decide::rollout::settings::{self, Figures};
use crate::decide::rollout::window::ChainNow;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::runtime::events::EventType;
use kube::{Api, ResourceExt};
use std::collections::{BTreeMap, HashMap};

/// A container restarted this often, or backing off after crashes, crash-loops.
const CRASH_RESTARTS: i32 = 3;

/// The rollout facts of `set`; marks crash-looping members in `views` (Canary sets with a
/// rollout in flight only: that is the one time pods are listed).
pub async fn gather(
    set: &NeuronSet,
    ctx: &Context,
    ns: &str,
    members: &[&Neuron],
    stss: &[StatefulSet],
    views: &mut [MemberView],
) -> Result<RolloutFacts> {
    let name = set.name_any();
    let role = set.spec.template.role;
    let canary = (set.spec.rollout.is_canary())
        .then(|| settings::resolve(&set.spec.rollout, role).ok())
        .flatten();
    let prev = set
        .status
        .as_ref()
        .and_then(|s| s.rollout.clone())
        .unwrap_or_default();
    let target = template_hash(set);
    let snapshot = ctx
        .cache
        .get(&SubnetKey {
            namespace: ns.into(),
            name: set.spec.template.subnet.clone(),
        })
        .and_then(|c| c.snapshot);
    let in_flight = views.iter().any(|v| !v.updated)
        || [step::CANARY, step::SOAKING].contains(&prev.step.as_str());
    if canary.is_some() && in_flight {
        let pods = Api::<Pod>::namespaced(ctx.client.clone(), ns)
            .list(&ListParams::default().labels(&format!("{}={name}", labels::NEURON_SET)))
            .await?
            .items;
        mark_crash_looping(&name, &pods, stss, views);
    }
    Ok(RolloutFacts {
        canary,
        role,
        template: set.spec.template.clone(),
        spec_hash: rollout_spec_hash(set),
        stable: prev
            .stable
            .clone()
            .or_else(|| stable_from_members(members, &target)),
        chain: snapshot.as_deref().map(chain_now),
        figures: snapshot
            .as_deref()
            .map(|s| figures(&name, members, s))
            .unwrap_or_default(),
        target,
        prev,
        now: jiff::Timestamp::now(),
    })
}

fn chain_now(s: &SubnetSnapshot) -> ChainNow {
    ChainNow {
        block: s.block,
        schedule: Schedule {
            netuid: s.netuid,
            tempo: s.params.tempo,
            last_epoch_block: s.params.last_epoch_block,
        },
    }
}

/// Figures of the members the snapshot knows, by ordinal.
fn figures(set: &str, members: &[&Neuron], s: &SubnetSnapshot) -> BTreeMap<i32, MemberChain> {
    let immunity = u64::from(s.params.immunity_period);
    members
        .iter()
        .filter_map(|n| {
            let ordinal = plan::ordinal_of(set, &n.name_any())?;
            let hotkey = n.status.as_ref()?.hotkey.as_deref()?;
            let info = s.neuron_by_hotkey(&AccountId::from_ss58(hotkey).ok()?)?;
            let chain = MemberChain {
                figures: Figures {
                    incentive: info.incentive,
                    dividends: info.dividends,
                    validator_trust: info.validator_trust,
                },
                immune: s.block.saturating_sub(info.registered_at_block) < immunity,
                last_update: info.last_update,
            };
            Some((ordinal, chain))
        })
        .collect()
}

/// Without a recorded previous template (status lost, or a set from before this field): the
/// revision most members not on `target` run, rebuilt from the lowest such member's spec.
fn stable_from_members(members: &[&Neuron], target: &str) -> Option<StableRevision> {
    let revision = |n: &Neuron| n.annotations().get(labels::TEMPLATE_HASH).cloned();
    let mut count: HashMap<String, usize> = HashMap::new();
    for rev in members.iter().filter_map(|n| revision(n)) {
        if rev != target {
            *count.entry(rev).or_default() += 1;
        }
    }
    let (best, _) = count
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
    let member = members
        .iter()
        .filter(|n| revision(n).as_deref() == Some(best.as_str()))
        .min_by_key(|n| n.name_any())?;
    Some(StableRevision {
        revision: best,
        template: template_of_member(member),
    })
}

fn mark_crash_looping(set: &str, pods: &[Pod], stss: &[StatefulSet], views: &mut [MemberView]) {
    for pod in pods {
        let Some(member) = pod.labels().get(labels::NEURON) else {
            continue;
        };
        let sts = stss.iter().find(|s| &s.name_any() == member);
        let Some(o) = plan::ordinal_of(set, member) else {
            continue;
        };
        if let Some(v) = views.iter_mut().find(|v| v.ordinal == o) {
            v.crash_looping |= crash_looping(pod, sts);
        }
    }
}

/// The pod runs its StatefulSet's update revision (so it speaks for the new template, not the
/// old pod still terminating) and a container backs off after crashes or restarted repeatedly.
pub fn crash_looping(pod: &Pod, sts: Option<&StatefulSet>) -> bool {
    let Some(sts) = sts else {
        return false;
    };
    let st = sts.status.as_ref();
    let seen =
        st.and_then(|s| s.observed_generation).unwrap_or(0) >= sts.metadata.generation.unwrap_or(0);
    let update = st.and_then(|s| s.update_revision.as_deref());
    let current = update.is_some()
        && pod
            .labels()
            .get("controller-revision-hash")
            .map(String::as_str)
            == update;
    let looping = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                let backoff = c
                    .state
                    .as_ref()
                    .and_then(|s| s.waiting.as_ref())
                    .and_then(|w| w.reason.as_deref())
                    == Some("CrashLoopBackOff");
                backoff || c.restart_count >= CRASH_RESTARTS
            })
        });
    seen && current && looping
}

/// Publishes the rollout's Events and counts a rollback.
pub async fn tell(ctx: &Context, set: &NeuronSet, notes: &[Note], rolled_back: Option<&str>) {
    for n in notes {
        let t = if n.warning {
            EventType::Warning
        } else {
            EventType::Normal
        };
        super::events::publish(&ctx.recorder, set, t, n.reason, &n.message).await;
    }
    if let Some(reason) = rolled_back {
        let ns = set.namespace().unwrap_or_default();
        ctx.metrics.rollback(&ns, &set.name_any(), reason);
        tracing::warn!(neuronset = %set.name_any(), namespace = %ns, reason, "canary rolled back");
    }
}

#[cfg(test)]
#[path = "neuronset_rollout_tests.rs"]
mod tests;
