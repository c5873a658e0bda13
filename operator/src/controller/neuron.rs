//! Neuron reconcile: dereference (Subnet, hotkey, coldkey, chain view, pod) → validate → decide →
//! build → apply (or delete what is no longer wanted) → status.

use super::apply::{apply_if_changed, delete_owned};
use super::chain_view;
use super::context::Context;
use super::error::{Error, Result};
use super::lifecycle;
use super::metrics::NeuronLabels;
use super::neuron_events::{announce_blocker, announce_pod_trouble};
use super::status::{chain_status, neuron_conditions, neuron_status_changed, pod_summary};
use super::wallet::{resolve_hotkey, wallet_files};
use crate::api::{types, Neuron, NeuronPhase, NeuronStatus, Subnet};
use crate::chain::{AccountId, NeuronInfo, SubnetKey};
use crate::children::{self, service_external, ExternalAxon, PodInputs};
use crate::decide::{self, Blocker, ChainFacts, Claim, NeuronFacts};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Pod, Secret, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::runtime::controller::Action;
use kube::{Api, ResourceExt};
use std::sync::Arc;
use std::time::Duration;

/// Periodic re-check (hotkey Secret edits, pod drift) when nothing else triggers a reconcile.
const RESYNC: Duration = Duration::from_secs(300);
/// Re-check while waiting for a user's hotkey Secret: Secrets without our label are not watched
/// (watching every Secret would hold all of them in memory).
const AWAIT_SECRET: Duration = Duration::from_secs(30);

/// What dereferencing found.
struct Observed {
    subnet: Option<Subnet>,
    hotkey_ss58: Option<String>,
    coldkey: Option<[u8; 32]>,
    hotkey: Option<crate::keys::HotkeyMaterial>,
    blocker: Option<Blocker>,
}

pub async fn reconcile(neuron: Arc<Neuron>, ctx: Arc<Context>) -> Result<Action> {
    let neuron = super::freshness::current(neuron, &ctx).await?;
    let ns = neuron
        .namespace()
        .ok_or_else(|| Error::MissingNamespace(neuron.name_any()))?;
    if neuron.metadata.deletion_timestamp.is_some() {
        // Children go with it (owner references); the hotkey Secret deliberately stays.
        return Ok(Action::await_change());
    }
    let obs = observe(&neuron, &ctx, &ns).await?;
    let chain_state = chain_view::of(&ctx, &ns, obs.subnet.as_ref()).await;
    let hotkey = obs
        .hotkey_ss58
        .as_deref()
        .and_then(|s| AccountId::from_ss58(s).ok());
    let snap = chain_state.as_ref().and_then(|c| c.snapshot.as_deref());
    let info: Option<NeuronInfo> = snap
        .zip(hotkey)
        .and_then(|(snap, hk)| snap.neuron_by_hotkey(&hk).cloned());
    // Whose own stake on the hotkey status shows: the Neuron's coldkey, else the hotkey's owner.
    let staker = obs
        .coldkey
        .map(AccountId)
        .or(info.as_ref().map(|i| i.coldkey));
    let own_stake = watch_own_stake(&ctx, &neuron, obs.subnet.as_ref(), hotkey.zip(staker), snap);
    let chain = match &chain_state {
        None => ChainFacts::NotPolled,
        Some(c) if !c.reachable => {
            ChainFacts::Unreachable(c.last_error.clone().unwrap_or_default())
        }
        Some(c) if c.subnet_missing => ChainFacts::Polled { uid: None },
        Some(c) if c.snapshot.is_none() => ChainFacts::NotPolled,
        Some(_) => ChainFacts::Polled {
            uid: info.as_ref().map(|i| i.uid),
        },
    };
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), &ns);
    let pod = pods.get_opt(&format!("{}-0", neuron.name_any())).await?;
    let mut prev = neuron.status.clone().unwrap_or_default();
    let version = lifecycle::StatusVersion::new(neuron.resource_version());
    let gpu = lifecycle::gpu::observe(&ctx, &neuron, pod.as_ref());
    // Registration acts on the chain and writes its own status fields into `prev` first.
    let life = match (&obs.subnet, hotkey, &obs.blocker) {
        (Some(subnet), Some(hotkey), None) => {
            let target = lifecycle::target::Target {
                ctx: &ctx,
                neuron: &neuron,
                subnet,
                key: SubnetKey {
                    namespace: ns.clone(),
                    name: subnet.name_any(),
                },
                hotkey,
                chain: chain_state.as_ref(),
                version: &version,
            };
            let reg = lifecycle::registration::step(&target, &mut prev).await?;
            reg.and(lifecycle::staking::step(&target, &mut prev).await?)
                .and(lifecycle::axon::step(&target, &prev).await?)
                .and(lifecycle::restart::step(&target, &mut prev).await?)
                .and(lifecycle::gpu::step(Some(&target), &mut prev, gpu.as_ref()).await?)
        }
        _ => lifecycle::gpu::step(None, &mut prev, gpu.as_ref()).await?,
    };
    let health = lifecycle::health::step(pod.as_ref());
    announce_pod_trouble(&neuron, &ctx, &prev, &health).await;
    let life = life.and(health);
    let facts = NeuronFacts {
        blocker: obs.blocker.clone(),
        suspended: neuron.spec.suspend,
        chain,
        previously_registered: prev.uid.is_some() || prev.phase == NeuronPhase::Deregistered,
        registration_pending: prev.pending_registration.is_some(),
        external_registration: neuron.spec.registration.mode
            == crate::api::RegistrationMode::External,
        pod: pod.as_ref().map(pod_summary),
    };
    let decision = decide::decide_neuron(&facts);
    // coldkeypub.txt: from the coldkey Secret, else the hotkey's owner on chain once registered.
    let owner = info.as_ref().map(|i| i.coldkey.0);
    match (&obs.subnet, &obs.hotkey) {
        (Some(subnet), Some(hotkey)) if obs.blocker.is_none() => {
            let files = wallet_files(hotkey, obs.coldkey.or(owner));
            apply_children(&neuron, &ctx, &ns, subnet, &files, decision.replicas).await?
        }
        _ => delete_children(&neuron, &ctx, &ns).await?,
    }
    announce_blocker(&neuron, &ctx, &prev, obs.blocker.as_ref()).await;

    // Status: keep what other parts own (registration audit, restarts), recompute the rest.
    let immunity = chain_state
        .as_ref()
        .and_then(|c| c.snapshot.as_ref())
        .map(|s| u64::from(s.params.immunity_period));
    let registered = decision.registered;
    let coldkey = obs.coldkey.or(owner).map(|c| crate::keys::ss58_encode(&c));
    let now = jiff::Timestamp::now();
    let status = NeuronStatus {
        observed_generation: neuron.metadata.generation,
        phase: decision.phase,
        hotkey: obs.hotkey_ss58.clone(),
        coldkey,
        uid: info
            .as_ref()
            .map(|i| i.uid)
            .or(if registered { prev.uid } else { None }),
        registered_at_block: info
            .as_ref()
            .map(|i| i.registered_at_block)
            .or(if registered {
                prev.registered_at_block
            } else {
                None
            }),
        immune_until_block: info
            .as_ref()
            .zip(immunity)
            .map(|(i, p)| i.registered_at_block + p),
        chain: match (&info, snap) {
            (Some(i), Some(s)) => Some(chain_status(i, s.block, own_stake, s.pool.as_ref())),
            _ if registered => prev.chain.clone(),
            _ => None,
        },
        pod: facts.pod.clone(),
        conditions: neuron_conditions(
            &prev.conditions,
            &decision.conditions,
            neuron.metadata.generation,
            &Time(now),
        ),
        ..prev.clone()
    };
    let mut status = status;
    lifecycle::gpu::fill_pod(&mut status, gpu.as_ref());
    lifecycle::apply_conditions(
        &mut status.conditions,
        &life,
        neuron.metadata.generation,
        &Time(now),
    );
    if let Some(subnet) = &obs.subnet {
        let l = NeuronLabels::new(
            &ns,
            &neuron.name_any(),
            &subnet.name_any(),
            subnet.spec.netuid,
            neuron.spec.role,
        );
        ctx.metrics
            .set_neuron(&l, status.chain.as_ref(), status.uid);
        let served = crate::api::is_true(&status.conditions, types::AXON_SERVED);
        ctx.metrics
            .lifecycle
            .axon_served
            .get_or_create(&l)
            .set(i64::from(served));
    }
    let key = format!("{ns}/{}", neuron.name_any());
    let last = ctx.last_status_write(&key);
    // `prev` is what the server holds: the store's status, or the lifecycle steps' last write
    // (the write is refused if the server moved on since: `version`).
    if neuron_status_changed(Some(&prev), &status, last.as_deref(), now) {
        lifecycle::write_status_at(&ctx, &neuron, &version, &status).await?;
        ctx.record_status_write(&key, now);
    }
    let base = match obs.blocker {
        Some(Blocker::HotkeyMissing(_)) => AWAIT_SECRET,
        _ => RESYNC,
    };
    let wait = life.requeue.map_or(base, |r| r.min(base));
    Ok(Action::requeue(chain_view::requeue(
        wait,
        obs.subnet.as_ref(),
    )))
}

/// Asks the Subnet's poller to read the own stake of (hotkey, coldkey) from now on (a new pair
/// polls at once) and returns it from the snapshot (0 until read).
fn watch_own_stake(
    ctx: &Context,
    neuron: &Neuron,
    subnet: Option<&Subnet>,
    pair: Option<(AccountId, AccountId)>,
    snap: Option<&crate::chain::SubnetSnapshot>,
) -> u64 {
    let Some(subnet) = subnet else { return 0 };
    let key = SubnetKey {
        namespace: neuron.namespace().unwrap_or_default(),
        name: subnet.name_any(),
    };
    if ctx
        .pollers
        .stake_interest
        .set(&key, &neuron.name_any(), pair)
    {
        ctx.pollers.poll_now(&key);
    }
    pair.and_then(|(h, c)| snap?.own_stake(&h, &c)).unwrap_or(0)
}

/// Dereferences everything the Neuron points at; a problem the user must fix becomes a blocker.
async fn observe(neuron: &Neuron, ctx: &Context, ns: &str) -> Result<Observed> {
    let mut obs = Observed {
        subnet: None,
        hotkey_ss58: None,
        coldkey: None,
        hotkey: None,
        blocker: None,
    };
    let invalid = decide::validate_neuron(&neuron.spec);
    if !invalid.is_empty() {
        obs.blocker = Some(Blocker::InvalidSpec(decide::describe(&invalid)));
        return Ok(obs);
    }
    let Some(subnet) =
        super::lenient::read::one::<Subnet>(&ctx.client, ns, &neuron.spec.subnet).await?
    else {
        obs.blocker = Some(Blocker::SubnetNotFound(format!(
            "Subnet {:?} does not exist in namespace {ns}",
            neuron.spec.subnet
        )));
        return Ok(obs);
    };
    let subnet_invalid = decide::validate_subnet(&subnet.spec);
    if !subnet_invalid.is_empty() {
        obs.blocker = Some(Blocker::InvalidSpec(format!(
            "Subnet {:?} is invalid: {}",
            subnet.name_any(),
            decide::describe(&subnet_invalid)
        )));
        return Ok(obs);
    }
    obs.subnet = Some(subnet);
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let secret_name = children::hotkey_secret_name(neuron);
    let hotkey = match resolve_hotkey(&secrets, neuron, &secret_name).await? {
        Ok(h) => h,
        Err(b) => {
            obs.blocker = Some(b);
            return Ok(obs);
        }
    };
    obs.hotkey_ss58 = Some(hotkey.ss58());
    if let Some(holder) = conflict(neuron, ctx, ns, &secret_name, &hotkey.ss58()) {
        obs.blocker = Some(Blocker::HotkeyConflict(format!(
            "hotkey {} (Secret {secret_name}) is already used by the older Neuron {holder}",
            hotkey.ss58()
        )));
        return Ok(obs);
    }
    if let Some(cold) = neuron
        .spec
        .wallet
        .coldkey_secret
        .as_deref()
        .filter(|c| !c.is_empty())
    {
        match ctx.coldkeys.coldkey(&secrets, cold).await? {
            Ok(k) => obs.coldkey = k,
            // Only registration and stake need the coldkey: the pod runs without coldkeypub.txt.
            Err(msg) => {
                tracing::warn!(neuron = %neuron.name_any(), error = %msg, "coldkey Secret unusable")
            }
        }
    }
    obs.hotkey = Some(hotkey);
    Ok(obs)
}

/// The older Neuron in the namespace holding the same hotkey Secret or ss58, if any.
fn conflict(neuron: &Neuron, ctx: &Context, ns: &str, secret: &str, ss58: &str) -> Option<String> {
    let claim = |n: &Neuron, secret: String, hotkey: Option<String>| Claim {
        name: n.name_any(),
        created: n
            .creation_timestamp()
            .map(|t| t.0.to_string())
            .unwrap_or_default(),
        secret,
        hotkey,
    };
    let me = claim(neuron, secret.to_string(), Some(ss58.to_string()));
    let others: Vec<Claim> = ctx
        .neurons
        .state()
        .iter()
        .filter(|o| o.namespace().as_deref() == Some(ns) && o.name_any() != neuron.name_any())
        .map(|o| {
            claim(
                o,
                children::hotkey_secret_name(o),
                o.status.as_ref().and_then(|s| s.hotkey.clone()),
            )
        })
        // An undecodable Neuron's pod runs on as it was: it keeps its claim.
        .chain(
            ctx.invalid_neurons
                .in_namespace(ns)
                .iter()
                .filter_map(|u| super::lenient::claims::hotkey_claim(u))
                .filter(|c| c.name != neuron.name_any()),
        )
        .collect();
    decide::conflicting_holder(&me, &others).map(|c| c.name.clone())
}

async fn apply_children(
    neuron: &Neuron,
    ctx: &Context,
    ns: &str,
    subnet: &Subnet,
    files: &children::WalletFiles,
    replicas: i32,
) -> Result<()> {
    let client = ctx.client.clone();
    apply_if_changed(
        &Api::<Secret>::namespaced(client.clone(), ns),
        &children::wallet_secret(neuron, &children::hotkey_secret_name(neuron), Some(files)),
    )
    .await?;
    let services: Api<Service> = Api::namespaced(client.clone(), ns);
    let external = match children::axon_service(neuron) {
        Some(svc) => service_external(&apply_if_changed(&services, &svc).await?),
        None => {
            delete_owned(
                &services,
                &children::axon_service_name(neuron),
                &uid(neuron),
            )
            .await?;
            ExternalAxon::default()
        }
    };
    let inputs = PodInputs {
        replicas,
        wallet_version: files.version(),
        has_coldkeypub: files.coldkeypub.is_some(),
        external,
        agent_nodes: ctx.nodes.any(),
    };
    let statefulsets = Api::<StatefulSet>::namespaced(client, ns);
    match apply_if_changed(
        &statefulsets,
        &children::statefulset(neuron, subnet, &inputs),
    )
    .await
    {
        // An immutable field changed (e.g. storage): delete the StatefulSet but orphan its pod
        // and volumes; the next reconcile creates it anew and it adopts them (same selector).
        Err(Error::Kube(kube::Error::Api(s))) if s.code == 422 => {
            tracing::info!(neuron = %neuron.name_any(), reason = %s.message, "recreating the StatefulSet");
            statefulsets
                .delete(&neuron.name_any(), &kube::api::DeleteParams::orphan())
                .await?;
            Err(Error::Kube(kube::Error::Api(s)))
        }
        r => r.map(|_| ()),
    }
}

/// No pod for a blocked Neuron: its StatefulSet and Service go. The wallet Secret stays (it is
/// garbage-collected with the Neuron) and the hotkey Secret always stays.
async fn delete_children(neuron: &Neuron, ctx: &Context, ns: &str) -> Result<()> {
    let uid = uid(neuron);
    delete_owned(
        &Api::<StatefulSet>::namespaced(ctx.client.clone(), ns),
        &neuron.name_any(),
        &uid,
    )
    .await?;
    delete_owned(
        &Api::<Service>::namespaced(ctx.client.clone(), ns),
        &children::axon_service_name(neuron),
        &uid,
    )
    .await?;
    Ok(())
}

fn uid(neuron: &Neuron) -> String {
    neuron.uid().unwrap_or_default()
}
