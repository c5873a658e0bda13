//! Neuron reconcile, in one direction:
//! dereference (`observe`: watch caches, chain cache, ledger) → facts (`facts`) → decide
//! (`decide::neuron_plan::plan`, pure) → build and apply the children (`act::children`) → hand
//! chain actions to the executor (`act::request`; `spending` signs, submits, resolves and writes
//! the ledger, then wakes this Neuron) → status (`status`) → a pod restart the plan wants.
//! It never signs and never waits on a block.
//!
//! Deletion is held by the finalizer `tensorfleet.io/ledger` while the ledger has an unresolved
//! intent of the Neuron (the only record of a burn that may have been paid must be resolved first).

mod act;
mod facts;
mod gpu;
mod health;
mod identity;
mod observe;
mod status;

use super::context::Context;
use super::error::{Error, Result};
use super::events;
use super::metrics::NeuronLabels;
use super::status::neuron_status_changed;
use crate::api::{types, Neuron, NeuronPhase};
use crate::decide::ledger;
use crate::decide::neuron_plan::{self, NeuronPlan};
use crate::decide::Blocker;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::runtime::finalizer::Event as Finalizer;
use kube::{Api, ResourceExt};
use std::sync::Arc;
use std::time::Duration;

/// Holds a Neuron's (and a NeuronSet's) deletion while its ledger has unresolved intents.
pub const LEDGER_FINALIZER: &str = "tensorfleet.io/ledger";
/// Annotation `"true"`: release the finalizer although intents are unresolved (the chain is gone
/// for good, say). Their Spend objects stay, unresolved, for the audit.
pub const RELEASE_ANNOTATION: &str = "tensorfleet.io/release-unresolved-spends";

/// Periodic re-check when nothing else triggers a reconcile.
const RESYNC: Duration = Duration::from_secs(300);
/// Re-check while waiting for a user's hotkey Secret.
const AWAIT_SECRET: Duration = Duration::from_secs(30);
/// While the stores have not listed once.
const NOT_READY: Duration = Duration::from_secs(1);
/// Look again this soon while a request is held for a snapshot newer than the one read.
const HELD: Duration = Duration::from_secs(3);

pub async fn reconcile(neuron: Arc<Neuron>, ctx: Arc<Context>) -> Result<Action> {
    let neuron = match super::freshness::current(neuron, &ctx).await? {
        super::freshness::Current::Ready(o) => o,
        super::freshness::Current::Wait(d) => return Ok(Action::requeue(d)),
    };
    let ns = neuron
        .namespace()
        .ok_or_else(|| Error::MissingNamespace(neuron.name_any()))?;
    let api: Api<Neuron> = Api::namespaced(ctx.client.clone(), &ns);
    super::freshness::finalizer(&ctx, &api, LEDGER_FINALIZER, neuron, |event| async {
        match event {
            Finalizer::Apply(n) => apply(&n, &ctx, &ns).await,
            Finalizer::Cleanup(n) => cleanup(&n, &ctx, &ns).await,
        }
    })
    .await
    .map_err(|e| Error::Finalizer(Box::new(e)))
}

async fn apply(neuron: &Neuron, ctx: &Context, ns: &str) -> Result<Action> {
    if !ctx.ready().await {
        return Ok(Action::requeue(NOT_READY));
    }
    let obs = observe::observe(neuron, ctx, ns).await?;
    let prev = neuron.status.clone().unwrap_or_default();
    let input = facts::plan_input(neuron, ctx, &obs, &prev, jiff::Timestamp::now());
    let plan = neuron_plan::plan(&input);
    act::children(neuron, ctx, ns, &obs, &plan).await?;
    act::request(neuron, ctx, &obs, &plan);
    act::watch_chain_reads(neuron, ctx, &obs);
    let status = status::neuron_status(neuron, &obs, &input, &plan, &prev);
    announce(neuron, ctx, &prev, &plan).await;
    metrics(neuron, ctx, &obs, &status);
    let key = format!("{ns}/{}", neuron.name_any());
    let now = input.now;
    if neuron_status_changed(
        Some(&prev),
        &status,
        ctx.last_status_write(&key).as_deref(),
        now,
    ) {
        // Conditioned on the version read: a write from an older view fails with 409.
        let written = super::apply::apply_status_at(
            &api_of(ctx, ns),
            &neuron.name_any(),
            &status,
            neuron.resource_version().as_deref(),
        )
        .await?;
        super::freshness::wrote(ctx, &written);
        ctx.record_status_write(&key, now);
    }
    if let Some(r) = &plan.restart {
        act::restart(neuron, ctx, ns, &obs, r).await?;
    }
    let mut wait = requeue(&obs.blocker, &plan);
    if facts::held_for_newer_view(ctx, &obs, &facts::owner(neuron, &obs)) {
        wait = wait.min(HELD);
    }
    Ok(Action::requeue(super::chain_view::requeue(
        wait,
        obs.subnet.as_deref(),
    )))
}

fn api_of(ctx: &Context, ns: &str) -> Api<Neuron> {
    Api::namespaced(ctx.client.clone(), ns)
}

fn requeue(blocker: &Option<Blocker>, plan: &NeuronPlan) -> Duration {
    let base = match blocker {
        // The holder of a conflicting hotkey may go without an event for us (another namespace,
        // a deletion the finalizer turned into a cleanup): look again on a short schedule.
        Some(Blocker::HotkeyMissing(_)) | Some(Blocker::HotkeyConflict(_)) => AWAIT_SECRET,
        _ => RESYNC,
    };
    plan.requeue.map_or(base, |r| r.min(base))
}

/// Warning Events for trouble newly shown, and for a lost uid; Normal Events for news.
async fn announce(
    neuron: &Neuron,
    ctx: &Context,
    prev: &crate::api::NeuronStatus,
    plan: &NeuronPlan,
) {
    for c in neuron_plan::warnings(&prev.conditions, plan) {
        events::publish(
            &ctx.recorder,
            neuron,
            EventType::Warning,
            &c.reason,
            &c.message,
        )
        .await;
    }
    for (reason, note) in neuron_plan::notices(&prev.conditions, plan) {
        events::publish(&ctx.recorder, neuron, EventType::Normal, reason, &note).await;
    }
    if let (Some(uid), NeuronPhase::Deregistered) = (prev.uid, plan.phase) {
        if prev.phase != NeuronPhase::Deregistered {
            let note = format!(
                "hotkey {} lost uid {uid}",
                prev.hotkey.as_deref().unwrap_or("?")
            );
            events::publish(
                &ctx.recorder,
                neuron,
                EventType::Warning,
                "Deregistered",
                &note,
            )
            .await;
        }
    }
}

fn metrics(
    neuron: &Neuron,
    ctx: &Context,
    obs: &observe::Observed,
    status: &crate::api::NeuronStatus,
) {
    let Some(subnet) = &obs.subnet else { return };
    let l = NeuronLabels::new(
        &neuron.namespace().unwrap_or_default(),
        &neuron.name_any(),
        &subnet.name_any(),
        subnet.spec.netuid,
        neuron.spec.role,
    );
    ctx.metrics
        .set_neuron(&l, status.chain.as_ref(), status.uid);
    let is_true = |t| i64::from(crate::api::is_true(&status.conditions, t));
    let life = &ctx.metrics.lifecycle;
    life.axon_served
        .get_or_create(&l)
        .set(is_true(types::AXON_SERVED));
    life.at_risk.get_or_create(&l).set(is_true(types::AT_RISK));
}

/// The Neuron is being deleted: its children go with it (owner references; the hotkey Secret
/// deliberately stays). Held while its intents are unresolved.
async fn cleanup(neuron: &Neuron, ctx: &Context, ns: &str) -> Result<Action> {
    let name = neuron.name_any();
    let spends = ctx.executor.ledger().of_namespace(ns);
    let open: Vec<String> = ledger::in_flight(&spends, &name)
        .iter()
        .map(|s| s.name_any())
        .collect();
    hold_or_release(ctx, neuron, &open).await?;
    ctx.executor.forget(ns, &name);
    ctx.metrics.forget_neuron(ns, &name);
    ctx.pollers.interest.forget(ns, &name);
    // Neurons that lost a HotkeyConflict to this one look again once it is gone from the cache
    // (the finalizer is removed after this returns; the watch then drops it).
    let lost = super::poll_wakes::in_conflict(&ctx.neurons.state());
    let trigger = ctx.neuron_trigger.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        for r in lost {
            let _ = trigger.send(r);
        }
    });
    Ok(Action::await_change())
}

/// `Err(DeletionHeld)` (the finalizer stays) while `open` intents are unresolved, unless the
/// user released the hold; an Event tells which.
pub async fn hold_or_release<K>(ctx: &Context, obj: &K, open: &[String]) -> Result<()>
where
    K: kube::Resource<DynamicType = ()>,
{
    if open.is_empty() {
        return Ok(());
    }
    let released = obj
        .meta()
        .annotations
        .as_ref()
        .and_then(|a| a.get(RELEASE_ANNOTATION))
        .is_some_and(|v| v == "true");
    let list = open.join(", ");
    if released {
        let note = format!(
            "deleted with unresolved spends {list} ({RELEASE_ANNOTATION}); they stay in the ledger"
        );
        events::publish(
            &ctx.recorder,
            obj,
            EventType::Warning,
            "UnresolvedSpendsReleased",
            &note,
        )
        .await;
        return Ok(());
    }
    // Resolve from the chain now rather than at the next periodic pass.
    ctx.executor.resolve_pending();
    let why = format!(
        "deletion waits for the chain to resolve {list}; annotate {RELEASE_ANNOTATION}=true to delete anyway"
    );
    events::publish(&ctx.recorder, obj, EventType::Normal, "DeletionHeld", &why).await;
    Err(Error::DeletionHeld(why))
}
