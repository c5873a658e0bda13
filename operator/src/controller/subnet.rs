//! Subnet reconcile: validate, keep its chain poller running with the right config, and report
//! the chain view and member counts in status.

use super::apply::apply_status;
use super::context::Context;
use super::error::{Error, Result};
use super::events::publish_distinct;
use super::status::{endpoint_status, subnet_status_changed, tally_wait};
use crate::api::{format_tao, is_true, merge_conditions, types, Subnet, SubnetStatus};
use crate::chain::poller::PollConfig;
use crate::chain::{SubnetKey, SubnetParams};
use crate::decide::ledger::{self, Scope};
use crate::decide::subnet_changes::{change_message, record_changes, Hyperparams};
use crate::decide::{self, Member, PollState};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Api, ResourceExt};
use std::sync::Arc;
use std::time::Duration;

const RESYNC: Duration = Duration::from_secs(300);

pub fn key_of(subnet: &Subnet) -> Result<SubnetKey> {
    Ok(SubnetKey {
        namespace: subnet
            .namespace()
            .ok_or_else(|| Error::MissingNamespace(subnet.name_any()))?,
        name: subnet.name_any(),
    })
}

pub async fn reconcile(subnet: Arc<Subnet>, ctx: Arc<Context>) -> Result<Action> {
    // Hyperparameter changes are judged against the status we last wrote: a store behind
    // that write would report them again.
    let subnet = match super::freshness::current(subnet, &ctx).await? {
        super::freshness::Current::Ready(o) => o,
        super::freshness::Current::Wait(d) => return Ok(Action::requeue(d)),
    };
    let key = key_of(&subnet)?;
    if subnet.metadata.deletion_timestamp.is_some() {
        ctx.pollers.stop(&key);
        return Ok(Action::await_change());
    }
    let invalid = decide::validate_subnet(&subnet.spec);
    let invalid_msg = (!invalid.is_empty()).then(|| decide::describe(&invalid));
    let prev = subnet.status.clone().unwrap_or_default();
    if let Some(msg) = &invalid_msg {
        ctx.pollers.stop(&key);
        let seen = prev
            .conditions
            .iter()
            .any(|c| c.type_ == types::INVALID_SPEC && &c.message == msg);
        if !seen {
            ctx.warn(subnet.as_ref(), "InvalidSpec", msg).await;
        }
    } else {
        ctx.pollers.ensure(
            &key,
            PollConfig {
                netuid: subnet.spec.netuid,
                endpoints: subnet.spec.endpoint_list(),
                interval: Duration::from_secs(subnet.spec.poll_interval_seconds.into()),
            },
        );
    }
    let state = if invalid_msg.is_some() {
        None
    } else {
        ctx.cache.get(&key)
    };
    let poll = match &state {
        None => PollState::NotPolled,
        Some(s) if !s.reachable => PollState::Unreachable {
            error: s.last_error.clone().unwrap_or_default(),
        },
        Some(s) if s.subnet_missing => PollState::SubnetMissing {
            netuid: subnet.spec.netuid,
        },
        Some(s) => PollState::Reachable {
            endpoint: s.endpoint.clone().unwrap_or_default(),
        },
    };
    let now = jiff::Timestamp::now();
    let members: Vec<_> = ctx
        .neurons
        .state()
        .into_iter()
        .filter(|n| {
            n.metadata.namespace.as_deref() == Some(key.namespace.as_str())
                && n.spec.subnet == key.name
        })
        .collect();
    let counts = decide::count_members(
        &members
            .iter()
            .map(|n| {
                let s = n.status.as_ref();
                Member {
                    registered: s.is_some_and(|s| s.uid.is_some()),
                    ready: s.is_some_and(|s| is_true(&s.conditions, types::READY)),
                }
            })
            .collect::<Vec<_>>(),
    );
    // From the ledger: Neurons deleted since still count, in-flight intents at their limit.
    let spent = ledger::spent_last_24h(
        &ctx.executor.ledger().of_namespace(&key.namespace),
        Scope::Subnet(&key.name),
        now,
    );
    // A new or changed Subnet: its Neurons (e.g. waiting with SubnetNotFound) look again.
    if prev.observed_generation != subnet.metadata.generation {
        for n in &members {
            let _ = ctx
                .neuron_trigger
                .send(kube::runtime::reflector::ObjectRef::from_obj(n.as_ref()));
        }
    }
    let conditions = decide::subnet_conditions(invalid_msg.as_deref(), &poll);
    let snap = state.as_ref().and_then(|s| s.snapshot.clone());
    let params = snap.as_ref().map(|s| &s.params);
    let recorded = record_changes(
        &prev,
        params.map(hyperparams).as_ref(),
        snap.as_ref().map_or(0, |s| s.block),
        &now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    );
    let mut status = SubnetStatus {
        observed_generation: subnet.metadata.generation,
        endpoint: state.as_ref().and_then(|s| s.endpoint.clone()),
        endpoints: state
            .iter()
            .flat_map(|s| s.endpoints.iter().map(endpoint_status))
            .collect(),
        block: snap.as_ref().map(|s| s.block),
        last_polled_at: state
            .as_ref()
            .and_then(|s| s.polled_at)
            .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
        burn_rao: params.map(|p| p.burn),
        burn_tao: params.map(|p| format_tao(p.burn)),
        difficulty: params.map(|p| p.difficulty),
        registration_allowed: params.map(|p| p.registration_allowed),
        subnetwork_n: params.map(|p| p.subnetwork_n),
        mechanism_count: params.map(|p| p.mechanism_count),
        alpha_price: snap
            .as_ref()
            .and_then(|s| s.pool)
            .map(|p| format_tao(p.price_rao)),
        spent_rao_last24h: Some(spent),
        neurons: Some(counts),
        history: recorded.history,
        conditions: merge_conditions(
            &prev.conditions,
            &conditions,
            subnet.metadata.generation,
            &Time(now),
        ),
        ..Default::default()
    };
    recorded.values.write_into(&mut status);
    if let Some((reason, message)) = decide::subnet_warning(&prev.conditions, &conditions) {
        ctx.warn(subnet.as_ref(), reason, message).await;
    }
    if subnet_status_changed(subnet.status.as_ref(), &status, now) {
        let write_key = format!("Subnet/{key}");
        let last = ctx.status_written_at(&write_key);
        if let Some(wait) = tally_wait(subnet.status.as_ref(), &status, last, now) {
            return Ok(Action::requeue(wait));
        }
        let api: Api<Subnet> = Api::namespaced(ctx.client.clone(), &key.namespace);
        let written = apply_status(&api, &subnet.name_any(), &status).await?;
        super::freshness::wrote(&ctx, &written);
        ctx.record_status_write(&write_key, now);
    }
    // After the write: a failed write reports the change again on the next try rather than
    // twice (and a change always differs from the recorded status, so it is written).
    for change in &recorded.changes {
        let note = change_message(change);
        tracing::info!(subnet = %key, %note, "hyperparameter changed");
        publish_distinct(
            &ctx.client,
            subnet.as_ref(),
            EventType::Normal,
            "HyperparameterChanged",
            &note,
        )
        .await;
    }
    Ok(Action::requeue(RESYNC))
}

/// The fleet-relevant parameters of a snapshot, named as in status.
fn hyperparams(p: &SubnetParams) -> Hyperparams {
    Hyperparams {
        tempo: Some(p.tempo),
        min_burn_rao: Some(p.min_burn),
        max_burn_rao: Some(p.max_burn),
        immunity_period: Some(p.immunity_period),
        weights_version: Some(p.weights_version),
        commit_reveal_enabled: Some(p.commit_reveal_enabled),
        max_allowed_uids: Some(p.max_allowed_uids),
        activity_cutoff: Some(p.activity_cutoff),
    }
}
