//! What every lifecycle step works on: the Neuron, its Subnet, the chain connection and the
//! signer, plus the per-Subnet serialization of spending and the members' statuses.

use super::{publish, StepOutcome};
use crate::api::{CondSpec, Neuron, NeuronStatus, Subnet};
use crate::chain::cache::SubnetChainState;
use crate::chain::{AccountId, Chain, Signer, SubnetKey};
use crate::controller::context::Context;
use crate::controller::error::Result;
use k8s_openapi::api::core::v1::Secret;
use kube::api::ListParams;
use kube::runtime::events::EventType;
use kube::{Api, ResourceExt};
use std::collections::HashMap;
use std::sync::Arc;

/// One Neuron, as seen by the lifecycle steps.
pub struct Target<'a> {
    pub ctx: &'a Context,
    pub neuron: &'a Neuron,
    pub subnet: &'a Subnet,
    pub key: SubnetKey,
    pub hotkey: AccountId,
    pub chain: Option<&'a SubnetChainState>,
    /// The Neuron's resourceVersion its status writes are conditioned on.
    pub version: &'a super::StatusVersion,
}

impl Target<'_> {
    /// The poller's latest snapshot, while the chain answers and the subnet exists.
    pub fn snapshot(&self) -> Option<&crate::chain::SubnetSnapshot> {
        self.chain
            .filter(|c| c.reachable && !c.subnet_missing)
            .and_then(|c| c.snapshot.as_deref())
    }

    /// The hotkey's figures in that snapshot (None: not registered, or no view).
    pub fn info(&self) -> Option<&crate::chain::NeuronInfo> {
        self.snapshot()?.neuron_by_hotkey(&self.hotkey)
    }
}

/// Removes a step's condition (the step does not apply to this Neuron).
pub fn without(type_: &'static str) -> StepOutcome {
    StepOutcome {
        conditions: vec![(type_, None)],
        requeue: None,
    }
}

/// A step outcome setting one condition to True.
pub fn condition_true(
    type_: &'static str,
    reason: &str,
    message: impl Into<String>,
) -> StepOutcome {
    StepOutcome {
        conditions: vec![(type_, Some(CondSpec::new(type_, true, reason, message)))],
        requeue: None,
    }
}

/// One lock per Subnet for the decide-and-spend section (budgets are per Subnet).
fn subnet_lock(key: &SubnetKey) -> Arc<tokio::sync::Mutex<()>> {
    type Locks = std::sync::Mutex<HashMap<SubnetKey, Arc<tokio::sync::Mutex<()>>>>;
    static LOCKS: std::sync::LazyLock<Locks> = std::sync::LazyLock::new(Default::default);
    LOCKS
        .lock()
        .expect("subnet locks")
        .entry(key.clone())
        .or_default()
        .clone()
}

/// The Subnet's spending turn, or `None` while another Neuron holds it (it may be waiting for a
/// transaction's inclusion). Never waited for: reconciles run in a bounded pool, and Neurons
/// queued behind one turn would fill it and stall every other Neuron. The caller requeues.
pub fn try_subnet_turn(key: &SubnetKey) -> Option<tokio::sync::OwnedMutexGuard<()>> {
    subnet_lock(key).try_lock_owned().ok()
}

/// How soon a Neuron that found the Subnet's turn taken looks again.
pub const TURN_RETRY: std::time::Duration = std::time::Duration::from_millis(500);

/// (name, status) of the Subnet's Neurons, from the reflector store.
pub fn store_members(t: &Target<'_>) -> Vec<(String, NeuronStatus)> {
    members_of(t, t.ctx.neurons.state().iter().map(|n| n.as_ref()))
}

/// The same, read from the API server.
pub async fn fresh_members(t: &Target<'_>) -> Result<Vec<(String, NeuronStatus)>> {
    let api: Api<Neuron> = Api::namespaced(t.ctx.client.clone(), &t.key.namespace);
    let list = api.list(&Default::default()).await?;
    Ok(members_of(t, list.items.iter()))
}

fn members_of<'a>(
    t: &Target<'_>,
    neurons: impl Iterator<Item = &'a Neuron>,
) -> Vec<(String, NeuronStatus)> {
    neurons
        .filter(|n| {
            n.namespace().as_deref() == Some(t.key.namespace.as_str())
                && n.spec.subnet == t.key.name
        })
        .map(|n| (n.name_any(), n.status.clone().unwrap_or_default()))
        .collect()
}

/// A Warning Event when one of the outcome's conditions newly turns True (or for a new reason).
pub async fn announce(t: &Target<'_>, status: &NeuronStatus, outcome: StepOutcome) -> StepOutcome {
    for (type_, spec) in &outcome.conditions {
        let Some(spec) = spec.as_ref().filter(|s| s.status) else {
            continue;
        };
        let seen = status
            .conditions
            .iter()
            .any(|c| c.type_ == *type_ && c.status == "True" && c.reason == spec.reason);
        if !seen {
            publish(
                t.ctx,
                t.neuron,
                EventType::Warning,
                &spec.reason,
                &spec.message,
            )
            .await;
        }
    }
    outcome
}

pub fn coldkey_secret(neuron: &Neuron) -> Option<&str> {
    neuron
        .spec
        .wallet
        .coldkey_secret
        .as_deref()
        .filter(|s| !s.is_empty())
}

/// Loads the signer from the coldkey Secret. The error names the Secret and key only.
pub async fn load_signer(t: &Target<'_>) -> Result<std::result::Result<Signer, String>> {
    let Some(name) = coldkey_secret(t.neuron) else {
        return Ok(Err("wallet.coldkeySecret is not set".into()));
    };
    let secrets: Api<Secret> = Api::namespaced(t.ctx.client.clone(), &t.key.namespace);
    let Some(secret) = secrets.get_opt(name).await? else {
        return Ok(Err(format!("coldkey Secret {name:?} does not exist")));
    };
    // A Secret version that failed before (e.g. a wrong $NACL password) is not decrypted again.
    if let Some(msg) = t.ctx.coldkeys.known_unusable(&secret) {
        return Ok(Err(msg));
    }
    let data = crate::controller::wallet::secret_data(&secret);
    let signer = crate::keys::parse_coldkey_secret(name, &data)
        .map(|m| m.signer.into())
        .map_err(|e| e.to_string());
    if let Err(msg) = &signer {
        t.ctx.coldkeys.remember_unusable(&secret, msg);
    }
    Ok(signer)
}

/// The Subnet poller's connection (money steps never open their own).
pub fn client(t: &Target<'_>) -> Option<Arc<dyn Chain>> {
    t.ctx.pollers.client(&t.key)
}

/// The Neuron's status as the API server has it now (the store may lag behind our own writes).
/// A list by name: the operator's RBAC grants list/watch on Neurons, not get.
pub async fn fresh_status(t: &Target<'_>) -> Result<NeuronStatus> {
    let api: Api<Neuron> = Api::namespaced(t.ctx.client.clone(), &t.key.namespace);
    let by_name = ListParams::default().fields(&format!("metadata.name={}", t.neuron.name_any()));
    let found = api.list(&by_name).await?.items.into_iter().next();
    Ok(found.and_then(|n| n.status).unwrap_or_default())
}
