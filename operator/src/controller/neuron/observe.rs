//! Dereference: everything a Neuron points at, from the watch caches and the chain cache. A
//! problem the user must fix becomes a blocker. The only API reads left are of Secrets the user
//! made, once per version (`secrets`), and a node's addresses for an axon on a node port.

use super::super::context::Context;
use super::super::error::Result;
use super::super::node_addresses::Addresses;
use super::super::stores::get;
use super::super::wallet::ColdkeyIds;
use crate::api::{AxonExpose, Neuron, NeuronSet, Spend, Subnet};
use crate::chain::cache::SubnetChainState;
use crate::chain::{AccountId, NeuronInfo, SubnetKey};
use crate::children::{self, axon_service_name, wallet_secret_name};
use crate::decide::{self, Blocker, Claim};
use crate::keys::HotkeyMaterial;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Pod, Secret, Service};
use kube::ResourceExt;
use std::sync::Arc;

/// The coldkey Secret, as far as the reconcile needs it (never its keys).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coldkey {
    NotSet,
    Missing(String),
    Unusable(String),
    Usable { secret: String, ids: ColdkeyIds },
}

impl Coldkey {
    pub fn ids(&self) -> Option<ColdkeyIds> {
        match self {
            Coldkey::Usable { ids, .. } => Some(*ids),
            _ => None,
        }
    }
}

pub struct Observed {
    pub subnet: Option<Arc<Subnet>>,
    pub set: Option<Arc<NeuronSet>>,
    pub hotkey: Option<Arc<HotkeyMaterial>>,
    pub coldkey: Coldkey,
    pub blocker: Option<Blocker>,
    pub chain: Option<SubnetChainState>,
    pub statefulset: Option<Arc<StatefulSet>>,
    pub service: Option<Arc<Service>>,
    pub wallet: Option<Arc<Secret>>,
    pub pod: Option<Arc<Pod>>,
    pub node_addresses: Addresses,
    /// The namespace's ledger.
    pub spends: Vec<Spend>,
}

impl Observed {
    pub fn hotkey_id(&self) -> Option<AccountId> {
        self.hotkey.as_ref().map(|h| AccountId(h.public()))
    }

    /// The poller's latest snapshot, while the chain answers and the subnet exists.
    pub fn snapshot(&self) -> Option<&crate::chain::SubnetSnapshot> {
        self.chain
            .as_ref()
            .filter(|c| c.reachable && !c.subnet_missing)
            .and_then(|c| c.snapshot.as_deref())
    }

    /// The hotkey's figures in that snapshot (None: not registered, or no view).
    pub fn info(&self) -> Option<&NeuronInfo> {
        self.snapshot()?.neuron_by_hotkey(&self.hotkey_id()?)
    }

    /// Our coldkey: the coldkey Secret's payer, else the hotkey's owner on chain.
    pub fn payer(&self) -> Option<AccountId> {
        self.coldkey
            .ids()
            .map(|i| AccountId(i.payer))
            .or(self.info().map(|i| i.coldkey))
    }

    pub fn subnet_key(&self) -> Option<SubnetKey> {
        let s = self.subnet.as_ref()?;
        Some(SubnetKey {
            namespace: s.namespace().unwrap_or_default(),
            name: s.name_any(),
        })
    }
}

pub async fn observe(neuron: &Neuron, ctx: &Context, ns: &str) -> Result<Observed> {
    let name = neuron.name_any();
    let stores = &ctx.stores;
    let mut obs = Observed {
        subnet: None,
        set: children::owning_set(neuron).and_then(|s| get(&ctx.sets, ns, &s)),
        hotkey: None,
        coldkey: Coldkey::NotSet,
        blocker: None,
        chain: None,
        statefulset: get(&stores.statefulsets, ns, &name),
        service: get(&stores.services, ns, &axon_service_name(neuron)),
        wallet: ctx.secrets.managed(ns, &wallet_secret_name(neuron)),
        pod: get(&stores.pods, ns, &format!("{name}-0")),
        node_addresses: Vec::new(),
        spends: ctx.executor.ledger().of_namespace(ns),
    };
    obs.blocker = blocker(neuron, ctx, ns, &mut obs).await?;
    if obs.blocker.is_none() {
        obs.coldkey = coldkey(neuron, ctx, ns).await?;
        obs.node_addresses = node_addresses(neuron, ctx, obs.pod.as_deref()).await?;
    }
    Ok(obs)
}

/// Fills the Subnet, chain view and hotkey; the first problem found is the blocker.
async fn blocker(
    neuron: &Neuron,
    ctx: &Context,
    ns: &str,
    obs: &mut Observed,
) -> Result<Option<Blocker>> {
    let invalid = decide::validate_neuron(&neuron.spec);
    if !invalid.is_empty() {
        return Ok(Some(Blocker::InvalidSpec(decide::describe(&invalid))));
    }
    let wanted = &neuron.spec.subnet;
    let Some(subnet) = get(&ctx.stores.subnets, ns, wanted) else {
        let unreadable = ctx
            .invalid_subnets
            .in_namespace(ns)
            .into_iter()
            .find(|u| u.meta.name.as_deref() == Some(wanted.as_str()));
        return Ok(Some(match unreadable {
            Some(u) => Blocker::InvalidSpec(format!(
                "Subnet {wanted:?} cannot be read ({}): waiting until it is fixed",
                u.error
            )),
            None => Blocker::SubnetNotFound(format!(
                "Subnet {wanted:?} does not exist in namespace {ns}"
            )),
        }));
    };
    let subnet_invalid = decide::validate_subnet(&subnet.spec);
    if !subnet_invalid.is_empty() {
        return Ok(Some(Blocker::InvalidSpec(format!(
            "Subnet {wanted:?} is invalid: {}",
            decide::describe(&subnet_invalid)
        ))));
    }
    obs.chain = super::super::chain_view::of(ctx, ns, Some(&subnet)).await;
    obs.subnet = Some(subnet);
    let secret = children::hotkey_secret_name(neuron);
    let paid = super::identity::registered_hotkey(neuron, &obs.spends);
    let hotkey = match ctx.secrets.hotkey(neuron, &secret, paid.as_deref()).await? {
        Ok(h) => h,
        Err(b) => return Ok(Some(b)),
    };
    let ss58 = hotkey.ss58();
    obs.hotkey = Some(hotkey);
    if let Some(holder) = conflict(neuron, ctx, ns, &secret, &ss58) {
        return Ok(Some(Blocker::HotkeyConflict(format!(
            "hotkey {ss58} (Secret {secret}) is already used by the older Neuron {holder}"
        ))));
    }
    Ok(None)
}

async fn coldkey(neuron: &Neuron, ctx: &Context, ns: &str) -> Result<Coldkey> {
    let Some(name) = neuron
        .spec
        .wallet
        .coldkey_secret
        .as_deref()
        .filter(|c| !c.is_empty())
    else {
        return Ok(Coldkey::NotSet);
    };
    Ok(match ctx.secrets.coldkey(ns, name).await? {
        None => Coldkey::Missing(format!("coldkey Secret {name:?} does not exist")),
        Some(Err(msg)) => Coldkey::Unusable(msg),
        Some(Ok(ids)) => Coldkey::Usable {
            secret: name.to_string(),
            ids,
        },
    })
}

/// The pod's node's addresses, when the axon is served on a node port without an explicit IP.
async fn node_addresses(neuron: &Neuron, ctx: &Context, pod: Option<&Pod>) -> Result<Addresses> {
    let axon = &neuron.spec.axon;
    let explicit = axon.external_ip.as_deref().is_some_and(|s| !s.is_empty());
    let on_node = matches!(axon.expose, AxonExpose::HostPort | AxonExpose::NodePort);
    let node = pod.and_then(|p| p.spec.as_ref()?.node_name.as_deref());
    match node {
        Some(node) if axon.serve && on_node && !explicit => {
            ctx.node_addresses.of(&ctx.client, node).await
        }
        _ => Ok(Vec::new()),
    }
}

/// The older Neuron in the namespace holding the same hotkey Secret or ss58, if any.
/// The older Neuron, in any namespace, that runs the same hotkey (one pod per hotkey cluster-
/// wide). Within a namespace one Secret name is one key even before its hotkey is known; across
/// namespaces only the hotkey can tell. Claims are named `namespace/name`.
fn conflict(neuron: &Neuron, ctx: &Context, ns: &str, secret: &str, ss58: &str) -> Option<String> {
    let claim = |n: &Neuron, secret: String, hotkey: Option<String>| {
        let ns = n.namespace().unwrap_or_default();
        Claim {
            name: format!("{ns}/{}", n.name_any()),
            created: n
                .creation_timestamp()
                .map(|t| t.0.to_string())
                .unwrap_or_default(),
            secret: format!("{ns}/{secret}"),
            hotkey,
        }
    };
    let me = claim(neuron, secret.to_string(), Some(ss58.to_string()));
    // Only a Neuron with the same Secret (here) or the same hotkey can share it: the claims of
    // the rest are never built (this runs for every Neuron of the fleet on every reconcile).
    let may_share = |o: &Neuron| {
        (o.metadata.namespace.as_deref() == Some(ns) && children::uses_hotkey_secret(o, secret))
            || o.status.as_ref().and_then(|s| s.hotkey.as_deref()) == Some(ss58)
    };
    let others: Vec<Claim> = ctx
        .neurons
        .state()
        .iter()
        .filter(|o| may_share(o))
        .map(|o| {
            claim(
                o,
                children::hotkey_secret_name(o),
                o.status.as_ref().and_then(|s| s.hotkey.clone()),
            )
        })
        // An undecodable Neuron's pod runs on as it was: it keeps its claim.
        .chain(ctx.invalid_neurons.all().iter().filter_map(|u| {
            let mut c = super::super::lenient::claims::hotkey_claim(u)?;
            let ns = u.meta.namespace.clone().unwrap_or_default();
            c.name = format!("{ns}/{}", c.name);
            c.secret = format!("{ns}/{}", c.secret);
            Some(c)
        }))
        .filter(|c| c.name != me.name)
        .collect();
    let holder = decide::conflicting_holder(&me, &others)?;
    // Same namespace: the name alone, as before; another namespace: namespace/name.
    let prefix = format!("{ns}/");
    Some(
        holder
            .name
            .strip_prefix(&prefix)
            .unwrap_or(&holder.name)
            .to_string(),
    )
}
