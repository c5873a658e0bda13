//! Carrying out the plan: apply the children (built by `children::neuron_children`, the builder
//! `render` uses) against the watch caches' copies, hand chain actions to the executor, restart
//! the pod. Nothing here decides, signs or waits on a block.

use super::observe::{Coldkey, Observed};
use crate::api::{Network, Neuron, Role};
use crate::chain::poller::Ask;
use crate::chain::AccountId;
use crate::children::{self, service_external};
use crate::controller::apply::{apply_over, delete_owned};
use crate::controller::context::Context;
use crate::controller::error::{Error, Result};
use crate::controller::events;
use crate::controller::metrics::RestartLabels;
use crate::controller::spending::{Action, Request, SignerRef};
use crate::controller::wallet::wallet_files;
use crate::decide::neuron_plan::{NeuronPlan, Restart, Wanted};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Pod, Secret, Service};
use kube::api::{DeleteParams, Preconditions};
use kube::runtime::events::EventType;
use kube::{Api, ResourceExt};

/// Applies the children (or, for a blocked Neuron, deletes its StatefulSet and Service: the
/// wallet Secret goes with the Neuron, the hotkey Secret always stays).
pub async fn children(
    neuron: &Neuron,
    ctx: &Context,
    ns: &str,
    obs: &Observed,
    plan: &NeuronPlan,
) -> Result<()> {
    let client = ctx.client.clone();
    let services: Api<Service> = Api::namespaced(client.clone(), ns);
    let statefulsets: Api<StatefulSet> = Api::namespaced(client.clone(), ns);
    let uid = neuron.uid().unwrap_or_default();
    let (Some(subnet), Some(hotkey), None) = (&obs.subnet, &obs.hotkey, &obs.blocker) else {
        delete_owned(&statefulsets, obs.statefulset.as_deref(), &uid).await?;
        delete_owned(&services, obs.service.as_deref(), &uid).await?;
        return Ok(());
    };
    // coldkeypub.txt: the coldkey Secret's payer, else the hotkey's owner once registered.
    let payer = obs
        .coldkey
        .ids()
        .map(|i| i.payer)
        .or(obs.info().map(|i| i.coldkey.0));
    let files = wallet_files(hotkey, payer);
    let external = obs
        .service
        .as_deref()
        .map(service_external)
        .unwrap_or_default();
    let built = children::neuron_children(
        neuron,
        subnet,
        Some(&files),
        plan.replicas,
        external,
        ctx.nodes.any(),
    );
    let secrets: Api<Secret> = Api::namespaced(client, ns);
    apply_over(&secrets, &built.wallet, obs.wallet.as_deref()).await?;
    match &built.service {
        Some(svc) => drop(apply_over(&services, svc, obs.service.as_deref()).await?),
        None => drop(delete_owned(&services, obs.service.as_deref(), &uid).await?),
    }
    match apply_over(
        &statefulsets,
        &built.statefulset,
        obs.statefulset.as_deref(),
    )
    .await
    {
        // An immutable field changed (e.g. storage): delete the StatefulSet but orphan its pod
        // and volumes; the next reconcile creates it anew and it adopts them (same selector).
        Err(Error::Kube(kube::Error::Api(s))) if s.code == 422 => {
            tracing::info!(neuron = %neuron.name_any(), reason = %s.message, "recreating the StatefulSet");
            statefulsets
                .delete(&neuron.name_any(), &DeleteParams::orphan())
                .await?;
            Err(Error::Kube(kube::Error::Api(s)))
        }
        r => r.map(drop),
    }
}

/// Asks the Subnet's poller to read, from now on, the coldkey's own stake on the hotkey (stake
/// targets and status are about it) and a validator's weights row (a new ask polls at once).
pub fn watch_chain_reads(neuron: &Neuron, ctx: &Context, obs: &Observed) {
    let Some(key) = obs.subnet_key() else { return };
    let payer = obs
        .coldkey
        .ids()
        .map(|i| AccountId(i.payer))
        .or(obs.info().map(|i| i.coldkey));
    // A validator's weights row under commit-reveal: a reveal is the only thing that writes it.
    let commit_reveal = obs
        .snapshot()
        .is_some_and(|s| s.params.commit_reveal_enabled);
    let ask = Ask {
        stake: obs.hotkey_id().zip(payer),
        weights_of: obs
            .info()
            .filter(|_| neuron.spec.role == Role::Validator && commit_reveal)
            .map(|i| i.uid),
    };
    if ctx.pollers.interest.set(&key, &neuron.name_any(), ask) {
        ctx.pollers.poll_now(&key);
    }
}

/// Hands the plan's chain actions to the executor (it ignores what it already has).
pub fn request(neuron: &Neuron, ctx: &Context, obs: &Observed, plan: &NeuronPlan) {
    let (Some(subnet), Some(key), Some(hotkey)) = (&obs.subnet, obs.subnet_key(), obs.hotkey_id())
    else {
        return;
    };
    let signer = match &obs.coldkey {
        Coldkey::Usable { secret, ids } => Some(SignerRef {
            namespace: key.namespace.clone(),
            secret: secret.clone(),
            payer: AccountId(ids.payer),
            account: AccountId(ids.account),
        }),
        _ => None,
    };
    for wanted in &plan.actions {
        let action = match (wanted, &signer) {
            (Wanted::Register(c), Some(signer)) => Action::Register {
                signer: signer.clone(),
                cap_rao: c.cap_rao,
                subnet_budget_rao: c.subnet_budget_rao,
                set_budget_rao: c.set_budget_rao,
            },
            (Wanted::Stake(t), Some(signer)) => Action::Stake {
                signer: signer.clone(),
                target_rao: t.target_rao,
                max_add_per_day_rao: t.max_add_per_day_rao,
                allow_unstake: t.allow_unstake,
                max_slippage_percent: t.max_slippage_percent,
            },
            (Wanted::Serve { ip, port }, _) => match &obs.hotkey {
                Some(h) => Action::Serve {
                    hotkey: h.keypair().clone(),
                    ip: *ip,
                    port: *port,
                    mainnet: subnet.spec.network == Network::Finney,
                },
                None => continue,
            },
            _ => continue,
        };
        let req = Request {
            owner: super::facts::owner(neuron, obs),
            subnet: key.clone(),
            netuid: subnet.spec.netuid,
            hotkey,
            action,
        };
        if ctx.executor.submit(req) {
            tracing::debug!(neuron = %neuron.name_any(), action = ?wanted, "handed to the executor");
        }
    }
}

/// Deletes the pod (the StatefulSet recreates it) after status recorded the restart.
pub async fn restart(
    neuron: &Neuron,
    ctx: &Context,
    ns: &str,
    obs: &Observed,
    r: &Restart,
) -> Result<()> {
    let Some(pod) = &obs.pod else { return Ok(()) };
    let name = pod.name_any();
    let dp = DeleteParams {
        // Only the pod the decision was about, never one created since.
        preconditions: pod.uid().map(|uid| Preconditions {
            uid: Some(uid),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    match Api::<Pod>::namespaced(ctx.client.clone(), ns)
        .delete(&name, &dp)
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    let reason = r.reason.as_str();
    ctx.metrics
        .lifecycle
        .operator_restarts
        .get_or_create(&RestartLabels {
            namespace: ns.to_string(),
            neuron: neuron.name_any(),
            reason: reason.into(),
        })
        .inc();
    tracing::info!(neuron = %neuron.name_any(), pod = %name, reason, "pod restarted");
    let note = format!("deleted pod {name} ({reason}): {}", r.why);
    events::publish(
        &ctx.recorder,
        neuron,
        EventType::Warning,
        "PodRestarted",
        &note,
    )
    .await;
    Ok(())
}
