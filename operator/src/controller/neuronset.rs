//! NeuronSet reconcile: the members (Neuron cache) and their StatefulSets (cache) → plan
//! (decide::neuronset) → create, update, replace and delete members → status.
//!
//! What the set has spent is the ledger's sum (`Spend` objects outlive members and the set), so
//! deleting a member never loses a spend; a member with an unresolved registration intent is
//! never deleted by the plan, and its own finalizer holds any other deletion. The set's finalizer
//! holds the set's deletion while any of its members' intents is unresolved.

use super::apply::{apply, contains};
use super::context::Context;
use super::error::{Error, Result};
use super::events;
use super::neuronset_status::{member_ready, set_status, status_changed};
use crate::api::{is_true, labels, types, Neuron, NeuronSet, StableRevision};
use crate::chain::SubnetKey;
use crate::children::{
    member_hotkey_secret, member_name, member_neuron, member_neuron_at, template_hash,
};
use crate::decide::ledger::{self, Scope};
use crate::decide::neuronset::{self as plan, SetFacts, SetPlan};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, Preconditions};
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::runtime::finalizer::Event as Finalizer;
use kube::{Api, ResourceExt};
use std::sync::Arc;
use std::time::Duration;

const RESYNC: Duration = Duration::from_secs(300);
/// While members change (rollout, scaling, a held deletion), look again this often: a member's
/// StatefulSet rolling out or an intent resolving may not touch the member itself.
const UNSETTLED: Duration = Duration::from_secs(5);

pub async fn reconcile(set: Arc<NeuronSet>, ctx: Arc<Context>) -> Result<Action> {
    let set = match super::freshness::current(set, &ctx).await? {
        super::freshness::Current::Ready(o) => o,
        super::freshness::Current::Wait(d) => return Ok(Action::requeue(d)),
    };
    let ns = set
        .namespace()
        .ok_or_else(|| Error::MissingNamespace(set.name_any()))?;
    let api: Api<NeuronSet> = Api::namespaced(ctx.client.clone(), &ns);
    super::freshness::finalizer(
        &ctx,
        &api,
        super::neuron::LEDGER_FINALIZER,
        set,
        |event| async {
            match event {
                Finalizer::Apply(s) => apply_set(s, &ctx, &ns).await,
                Finalizer::Cleanup(s) => {
                    let spends = ctx.executor.ledger().of_namespace(&ns);
                    let name = s.name_any();
                    let open: Vec<String> = spends
                        .iter()
                        .filter(|sp| {
                            sp.spec.neuron_set.as_deref() == Some(name.as_str()) && !sp.resolved()
                        })
                        .map(|sp| sp.name_any())
                        .collect();
                    super::neuron::hold_or_release(&ctx, s.as_ref(), &open).await?;
                    Ok(Action::await_change())
                }
            }
        },
    )
    .await
    .map_err(|e| Error::Finalizer(Box::new(e)))
}

/// The members from the Neuron cache; one that does not decode stops the set (its spends and
/// intents may matter to a deletion).
fn members(set: &NeuronSet, ctx: &Context, ns: &str) -> Result<Vec<Arc<Neuron>>> {
    let name = set.name_any();
    if let Some(u) = ctx.invalid_neurons.in_namespace(ns).into_iter().find(|u| {
        u.meta
            .labels
            .as_ref()
            .and_then(|l| l.get(labels::NEURON_SET))
            == Some(&name)
    }) {
        return Err(Error::Unreadable(super::lenient::read::Unreadable {
            kind: "Neuron".into(),
            name: u.meta.name.clone().unwrap_or_default(),
            error: u.error.clone(),
        }));
    }
    let all = ctx.neurons.state();
    Ok(plan::members_of(set, all.iter().map(|n| n.as_ref()))
        .into_iter()
        .map(|n| Arc::new(n.clone()))
        .collect())
}

async fn apply_set(set: Arc<NeuronSet>, ctx: &Context, ns: &str) -> Result<Action> {
    let ns = ns.to_string();
    // Name squatters are looked up in the Neuron store: it must have its first full list.
    if !ctx.ready().await {
        return Ok(Action::requeue(UNSETTLED));
    }
    let name = set.name_any();
    let listed = members(&set, ctx, &ns)?;
    let members: Vec<&Neuron> = listed.iter().map(|n| n.as_ref()).collect();
    let stss: Vec<StatefulSet> = ctx
        .stores
        .statefulsets
        .state()
        .iter()
        .filter(|s| s.metadata.namespace.as_deref() == Some(ns.as_str()))
        .filter(|s| s.labels().get(labels::NEURON_SET) == Some(&name))
        .map(|s| (**s).clone())
        .collect();
    let spends = ctx.executor.ledger().of_namespace(&ns);
    let hash = template_hash(&set);
    let mut views: Vec<_> = members
        .iter()
        .filter_map(|n| {
            let pending = ledger::in_flight(&spends, &n.name_any())
                .iter()
                .any(|s| s.spec.call == crate::api::SpendCall::Register);
            let mut v = plan::member_view(&name, &hash, n, pending)?;
            let sts = stss.iter().find(|s| s.name_any() == n.name_any());
            v.ready = member_ready(n, sts);
            Some(v)
        })
        .collect();
    let rollout =
        super::neuronset_rollout::gather(&set, ctx, &ns, &members, &stss, &mut views).await?;
    let prev = set.status.clone().unwrap_or_default();
    let spent = ledger::spent(&spends, Scope::Set(&name), None);
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
        spent_rao: spent,
        burn_rao: burn,
        taken: taken_ordinals(&set, ctx, &ns),
        rollout: Some(rollout),
    };
    let p = plan::plan(&facts);
    let status = set_status(&set, &p, spent, jiff::Timestamp::now());
    if status_changed(set.status.as_ref(), &status) {
        let api: Api<NeuronSet> = Api::namespaced(ctx.client.clone(), &ns);
        let written = super::apply::apply_status(&api, &name, &status).await?;
        super::freshness::wrote(ctx, &written);
        announce(&set, ctx, &prev.conditions, &status.conditions).await;
        // The rollout's transitions are recorded now: tell them (once).
        super::neuronset_rollout::tell(ctx, &set, &p.notes, p.rolled_back).await;
    }
    if facts.invalid.is_none() {
        let stable = status.rollout.as_ref().and_then(|r| r.stable.as_ref());
        act(&set, ctx, &ns, &p, &members, stable).await?;
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
        delete_member(ctx, &neurons, m).await?;
    }
    for (o, m) in p.replace.iter().filter_map(|o| Some((*o, member(*o)?))) {
        delete_member(ctx, &neurons, m).await?;
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
        .filter(|n| n.metadata.namespace.as_deref() == Some(ns))
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
/// the name since it was listed). Once: not again while the cache may not show it yet.
async fn delete_member(ctx: &Context, neurons: &Api<Neuron>, m: &Neuron) -> Result<()> {
    let uid = m.uid().unwrap_or_default();
    if ctx.deletions.recent(&uid) {
        return Ok(());
    }
    let dp = DeleteParams {
        preconditions: m.uid().map(|uid| Preconditions {
            uid: Some(uid),
            resource_version: None,
        }),
        ..DeleteParams::background()
    };
    match neurons.delete(&m.name_any(), &dp).await {
        Ok(_) => {
            ctx.deletions.record(&uid);
            Ok(())
        }
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
    events::publish(&ctx.recorder, set, type_, reason, note).await
}
