//! NeuronSet reconcile: list the members → plan (decide::neuronset) → record their spends in the
//! set's ledger → create, update, replace and delete members → status.
//!
//! The ledger is written before any member is deleted, so a deletion never loses a spend; a
//! member with an unresolved registration intent is never deleted (the plan holds it).

use super::apply::{apply, contains};
use super::context::Context;
use super::error::{Error, Result};
use super::neuronset_status::{member_ready, set_status, status_changed};
use crate::api::{is_true, labels, types, Neuron, NeuronSet, StableRevision};
use crate::chain::SubnetKey;
use crate::children::{
    member_hotkey_secret, member_name, member_neuron, member_neuron_at, template_hash,
};
use crate::decide::neuronset::{self as plan, SetFacts, SetPlan};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, ListParams, Preconditions};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType};
use kube::{Api, Resource, ResourceExt};
use std::sync::Arc;
use std::time::Duration;

const RESYNC: Duration = Duration::from_secs(300);
/// While members change (rollout, scaling, a held deletion), look again this often: a member's
/// StatefulSet rolling out or an intent resolving may not touch the member itself.
const UNSETTLED: Duration = Duration::from_secs(5);

pub async fn reconcile(set: Arc<NeuronSet>, ctx: Arc<Context>) -> Result<Action> {
    let set = super::freshness::current(set, &ctx).await?;
    let ns = set
        .namespace()
        .ok_or_else(|| Error::MissingNamespace(set.name_any()))?;
    if set.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    // Name squatters are looked up in the Neuron store: it must have its first full list.
    if ctx.neurons.wait_until_ready().await.is_err() {
        return Ok(Action::requeue(UNSETTLED));
    }
    let name = set.name_any();
    let selector = ListParams::default().labels(&format!("{}={name}", labels::NEURON_SET));
    // Listed, not from a cache: deletions below must see every recorded spend and intent.
    let listed: Vec<Neuron> = super::lenient::read::every(&ctx.client, &ns, &selector).await?;
    let members: Vec<&Neuron> = plan::members_of(&set, &listed);
    let stss = Api::<StatefulSet>::namespaced(ctx.client.clone(), &ns)
        .list(&selector)
        .await?
        .items;
    let hash = template_hash(&set);
    let mut views: Vec<_> = members
        .iter()
        .filter_map(|n| {
            let mut v = plan::member_view(&name, &hash, n)?;
            let sts = stss.iter().find(|s| s.name_any() == n.name_any());
            v.ready = member_ready(n, sts);
            Some(v)
        })
        .collect();
    let rollout =
        super::neuronset_rollout::gather(&set, &ctx, &ns, &members, &stss, &mut views).await?;
    let prev = set.status.clone().unwrap_or_default();
    let ledger = plan::merge_spends(&prev.spends, &members);
    let invalid = crate::decide::validate_neuron_set(&set.spec);
    let burn = ctx
        .cache
        .get(&SubnetKey {
            namespace: ns.clone(),
            name: set.spec.template.subnet.clone(),
        })
        .and_then(|c| c.snapshot.as_ref().map(|s| s.params.burn));
    let facts = SetFacts {
        replicas: set.spec.replicas,
        max_unavailable: set.spec.update_strategy.max_unavailable,
        replace_deregistered: set.spec.replace_deregistered,
        invalid: (!invalid.is_empty()).then(|| crate::decide::describe(&invalid)),
        members: views,
        budget_rao: plan::budget_rao(&set),
        spent_rao: plan::total_spent(&ledger),
        burn_rao: burn,
        taken: taken_ordinals(&set, &ctx, &ns),
        rollout: Some(rollout),
    };
    let p = plan::plan(&facts);
    let status = set_status(&set, &p, ledger, jiff::Timestamp::now());
    // Status first: it carries the ledger with the records of members about to be deleted.
    if status_changed(set.status.as_ref(), &status) {
        let api: Api<NeuronSet> = Api::namespaced(ctx.client.clone(), &ns);
        let written = super::apply::apply_status(&api, &name, &status).await?;
        super::freshness::wrote(&ctx, &written);
        announce(&set, &ctx, &prev.conditions, &status.conditions).await;
        // The rollout's transitions are recorded now: tell them (once).
        super::neuronset_rollout::tell(&ctx, &set, &p.notes, p.rolled_back).await;
    }
    if facts.invalid.is_none() {
        let stable = status.rollout.as_ref().and_then(|r| r.stable.as_ref());
        act(&set, &ctx, &ns, &p, &members, stable).await?;
    }
    Ok(Action::requeue(
        p.recheck_secs().map_or(RESYNC, Duration::from_secs),
    ))
}

/// Applies the plan's member changes: rollbacks of a failed canary, scale-down and replacement
/// deletions, then creations, rollout updates and drift repairs of members already on the
/// current template. `stable` is the previous template (rollbacks, creations while paused).
async fn act(
    set: &NeuronSet,
    ctx: &Context,
    ns: &str,
    p: &SetPlan,
    members: &[&Neuron],
    stable: Option<&StableRevision>,
) -> Result<()> {
    let neurons: Api<Neuron> = Api::namespaced(ctx.client.clone(), ns);
    let name = set.name_any();
    let member = |o: i32| {
        members
            .iter()
            .copied()
            .find(|m| m.name_any() == member_name(&name, o))
    };
    let at_stable = |o: i32| stable.map(|s| member_neuron_at(set, &s.template, &s.revision, o));
    for o in &p.rollback {
        if let Some(n) = at_stable(*o) {
            apply(&neurons, &n).await?;
        }
    }
    for m in p.delete.iter().filter_map(|o| member(*o)) {
        delete_member(&neurons, m).await?;
    }
    for (o, m) in p.replace.iter().filter_map(|o| Some((*o, member(*o)?))) {
        delete_member(&neurons, m).await?;
        replace_hotkey(set, ctx, ns, o).await?;
    }
    for o in &p.create {
        let stamped = match at_stable(*o).filter(|_| p.create_at_stable) {
            Some(n) => n,
            None => member_neuron(set, *o),
        };
        apply(&neurons, &stamped).await?;
    }
    for o in &p.update {
        apply(&neurons, &member_neuron(set, *o)).await?;
    }
    // Members on the current template whose spec someone edited get the template back.
    let hash = template_hash(set);
    for m in members {
        let Some(o) = plan::ordinal_of(&name, &m.name_any()) else {
            continue;
        };
        let current = m.annotations().get(labels::TEMPLATE_HASH) == Some(&hash);
        if o >= set.spec.replicas || !current || p.replace.contains(&o) {
            continue;
        }
        let want = member_neuron(set, o);
        let have = serde_json::to_value(m).map_err(|e| Error::Serialize("member", e))?;
        let want_json = serde_json::to_value(&want).map_err(|e| Error::Serialize("member", e))?;
        if !contains(&have, &want_json) {
            apply(&neurons, &want).await?;
        }
    }
    Ok(())
}

/// Ordinals whose member name a Neuron has that this set does not own (from the Neuron store).
fn taken_ordinals(set: &NeuronSet, ctx: &Context, ns: &str) -> Vec<i32> {
    let name = set.name_any();
    let mut taken: Vec<i32> = ctx
        .neurons
        .state()
        .iter()
        .filter(|n| n.namespace().as_deref() == Some(ns))
        .filter(|n| {
            !n.owner_references()
                .iter()
                .any(|r| Some(&r.uid) == set.uid().as_ref())
        })
        .filter_map(|n| plan::ordinal_of(&name, &n.name_any()))
        .collect();
    taken.sort_unstable();
    taken
}

/// Deletes a listed member, and only that object (uid precondition: never a Neuron that took
/// the name since it was listed).
async fn delete_member(neurons: &Api<Neuron>, m: &Neuron) -> Result<()> {
    let dp = DeleteParams {
        preconditions: m.uid().map(|uid| Preconditions {
            uid: Some(uid),
            resource_version: None,
        }),
        ..DeleteParams::background()
    };
    match neurons.delete(&m.name_any(), &dp).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// After a deregistered member is deleted (its spends already in the ledger): its generated
/// hotkey Secret goes too, so the recreated member generates a fresh hotkey.
async fn replace_hotkey(set: &NeuronSet, ctx: &Context, ns: &str, o: i32) -> Result<()> {
    let name = set.name_any();
    let member = member_name(&name, o);
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let secret = member_hotkey_secret(&name, o);
    let generated = secrets
        .get_opt(&secret)
        .await?
        .is_some_and(|s| s.labels().get(labels::GENERATED).map(String::as_str) == Some("true"));
    if generated {
        match secrets.delete(&secret, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    let note = format!(
        "{member} was deregistered: replaced by a new member with a fresh hotkey{}",
        if generated {
            ""
        } else {
            " (its hotkey Secret is not generated, so it is kept)"
        }
    );
    publish(ctx, set, EventType::Normal, "MemberReplaced", &note).await;
    Ok(())
}

/// Warning Events for conditions that newly turned: an invalid spec, a member name taken by
/// another Neuron, a paused rollout, an exhausted budget.
async fn announce(
    set: &NeuronSet,
    ctx: &Context,
    old: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
    new: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
) {
    for c in new {
        let was = |reason: &str| old.iter().any(|o| o.type_ == c.type_ && o.reason == reason);
        let turned = |reason: &str| c.reason == reason && !was(reason);
        let invalid = c.type_ == types::INVALID_SPEC
            && !old
                .iter()
                .any(|o| o.type_ == c.type_ && o.message == c.message);
        if invalid
            || c.type_ == types::READY && turned("MemberNameTaken")
            // a failed canary has its own Event (CanaryRegressed, ...)
            || c.type_ == types::PROGRESSING && turned("RolloutPaused") && !is_true(new, types::ROLLOUT_PAUSED)
            || c.type_ == types::BUDGET_EXHAUSTED && turned("BudgetExhausted")
        {
            ctx.warn(set, &c.reason, &c.message).await;
        }
    }
}

async fn publish(ctx: &Context, set: &NeuronSet, type_: EventType, reason: &str, note: &str) {
    let ev = Event {
        type_,
        reason: reason.into(),
        note: Some(note.into()),
        action: "Reconcile".into(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&ev, &set.object_ref(&())).await {
        tracing::warn!(error = %e, reason, "could not publish Event");
    }
}
