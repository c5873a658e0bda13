//! The executor: every chain action (register, stake, serve the axon) runs here, never in a
//! reconcile. One queue per signing account (a coldkey, a proxy key, a hotkey for serve_axon),
//! shared by every Subnet, Neuron and NeuronSet that signs with it, so one account's nonces are
//! used one at a time. A job re-reads the chain, checks caps and budgets against the ledger,
//! records the intent (`ledger`), submits, waits for inclusion, resolves the outcome once from
//! its events, then wakes the Neuron it was for. Unresolved intents (a crash, a lost answer)
//! are resolved from the chain before the account signs anything else (`resolve`).
//!
//! Reconciles only `submit` requests and read what came of them: the ledger, `feedback` for a
//! refusal that left no record, `busy` while a job is queued or running.

mod feedback;
mod job;
pub mod ledger;
mod outcome;
mod queue;
mod register;
mod resolve;
mod serve;
mod signer;
mod stake;

pub use feedback::{Feedback, Kind};
pub use ledger::Ledger;
pub use signer::SignerRef;

use super::metrics::Metrics;
use super::wallet::ColdkeyCache;
use crate::api::Neuron;
use crate::chain::poller::Pollers;
use crate::chain::{AccountId, ChainCache, SubnetKey};
use kube::runtime::events::Recorder;
use kube::runtime::reflector::ObjectRef;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Mortality of every extrinsic the operator signs, in blocks (~13 minutes at 12 s): after it,
/// an intent that was not included never can be.
pub const MORTALITY: u64 = 64;

/// How often unresolved intents are looked at again, and how long resolved ones are kept (the
/// longest budget window is 24 h; the rest is audit). A NeuronSet's spends are kept as long as
/// the name may come back: its budget is for ever.
const RESOLVE_EVERY: std::time::Duration = std::time::Duration::from_secs(30);
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
pub const RETENTION: jiff::SignedDuration = jiff::SignedDuration::from_hours(24 * 30);

/// The executor's background work: resolve what is unresolved (at start: what a crash left),
/// prune what is old.
pub async fn upkeep(executor: Arc<Executor>) {
    if !executor.ledger().ready().await {
        return;
    }
    let mut pruned_at: Option<std::time::Instant> = None;
    loop {
        executor.resolve_pending();
        if pruned_at.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
            pruned_at = Some(std::time::Instant::now());
            for ns in executor.ledger().namespaces() {
                match executor
                    .ledger()
                    .prune(&ns, jiff::Timestamp::now(), RETENTION)
                    .await
                {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(namespace = %ns, pruned = n, "ledger pruned"),
                    Err(e) => tracing::warn!(namespace = %ns, error = %e, "pruning the ledger"),
                }
            }
        }
        tokio::time::sleep(RESOLVE_EVERY).await;
    }
}

/// The Neuron a request is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub namespace: String,
    pub neuron: String,
    pub uid: Option<String>,
    pub set: Option<String>,
}

impl Owner {
    /// `namespace/name`: the key of feedback and de-duplication.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.neuron)
    }

    fn object_ref(&self) -> ObjectRef<Neuron> {
        ObjectRef::new(&self.neuron).within(&self.namespace)
    }
}

/// What to do. Caps and budgets are the configured totals: the job subtracts what the ledger
/// shows spent at the moment it decides.
#[derive(Clone)]
pub enum Action {
    Register {
        signer: SignerRef,
        /// min(Neuron cap, Subnet cap), rao.
        cap_rao: u64,
        subnet_budget_rao: Option<u64>,
        set_budget_rao: Option<u64>,
    },
    Stake {
        signer: SignerRef,
        /// TAO value the coldkey's own alpha should keep, rao.
        target_rao: u64,
        max_add_per_day_rao: u64,
        allow_unstake: bool,
        /// Every add/remove carries a price limit this far from the price read before it.
        max_slippage_percent: f64,
    },
    Serve {
        hotkey: subxt_signer::sr25519::Keypair,
        ip: IpAddr,
        port: u16,
        /// On finney a private address is worth a warning: validators cannot reach it.
        mainnet: bool,
    },
}

impl Action {
    pub fn kind(&self) -> Kind {
        match self {
            Action::Register { .. } => Kind::Register,
            Action::Stake { .. } => Kind::Stake,
            Action::Serve { .. } => Kind::Serve,
        }
    }

    /// The account whose queue runs it.
    fn signer_account(&self) -> AccountId {
        match self {
            Action::Register { signer, .. } | Action::Stake { signer, .. } => signer.account,
            Action::Serve { hotkey, .. } => AccountId(hotkey.public_key().0),
        }
    }
}

#[derive(Clone)]
pub struct Request {
    pub owner: Owner,
    pub subnet: SubnetKey,
    pub netuid: u16,
    pub hotkey: AccountId,
    pub action: Action,
}

/// What every job needs.
pub struct Deps {
    /// Reads coldkey Secrets when a job signs (`signer`); nothing else.
    client: kube::Client,
    coldkeys: Arc<ColdkeyCache>,
    pub ledger: Ledger,
    pub pollers: Arc<Pollers>,
    pub cache: Arc<ChainCache>,
    pub feedback: Feedback,
    pub recorder: Recorder,
    pub metrics: Arc<Metrics>,
    wake: mpsc::UnboundedSender<ObjectRef<Neuron>>,
    /// Held from the budget check to the recorded intent: two jobs (of any accounts) never
    /// count the same remainder twice.
    budget: tokio::sync::Mutex<()>,
    busy: Mutex<HashSet<(String, Kind)>>,
    /// What this process served last per Neuron (ip, port, block): the snapshot lags a poll.
    served: Mutex<HashMap<String, (IpAddr, u16, u64)>>,
    /// Spends with a resolution queued: asked again while one waits, they are not queued twice.
    resolving: Mutex<HashSet<String>>,
}

impl Deps {
    fn wake(&self, owner: &Owner) {
        // The receiver goes away only at shutdown.
        let _ = self.wake.send(owner.object_ref());
    }
}

pub struct Executor {
    deps: Arc<Deps>,
    queues: Mutex<HashMap<AccountId, mpsc::UnboundedSender<queue::Job>>>,
}

/// What the executor is built from.
pub struct Parts {
    pub client: kube::Client,
    pub coldkeys: Arc<ColdkeyCache>,
    pub ledger: Ledger,
    pub pollers: Arc<Pollers>,
    pub cache: Arc<ChainCache>,
    pub recorder: Recorder,
    pub metrics: Arc<Metrics>,
    pub wake: mpsc::UnboundedSender<ObjectRef<Neuron>>,
}

impl Executor {
    pub fn new(p: Parts) -> Self {
        let deps = Deps {
            client: p.client,
            coldkeys: p.coldkeys,
            ledger: p.ledger,
            pollers: p.pollers,
            cache: p.cache,
            feedback: Feedback::default(),
            recorder: p.recorder,
            metrics: p.metrics,
            wake: p.wake,
            budget: tokio::sync::Mutex::new(()),
            busy: Mutex::default(),
            served: Mutex::default(),
            resolving: Mutex::default(),
        };
        Self {
            deps: Arc::new(deps),
            queues: Mutex::default(),
        }
    }

    pub fn ledger(&self) -> &Ledger {
        &self.deps.ledger
    }

    pub fn feedback(&self) -> &Feedback {
        &self.deps.feedback
    }

    /// Queued or running for this Neuron and kind.
    pub fn busy(&self, owner: &Owner, kind: Kind) -> bool {
        self.deps
            .busy
            .lock()
            .expect("busy lock")
            .contains(&(owner.key(), kind))
    }

    /// A job is running, or the last one found the chain ahead of a view at `block`: either
    /// way asking now would repeat work (the next snapshot wakes the Neuron again).
    pub fn busy_or_ahead(
        &self,
        owner: &Owner,
        kind: Kind,
        view: Option<(u64, Option<jiff::Timestamp>)>,
    ) -> bool {
        self.busy(owner, kind) || self.chain_ahead(owner, kind, view)
    }

    /// The last job found the chain ahead of a view at (block, polled at).
    pub fn chain_ahead(
        &self,
        owner: &Owner,
        kind: Kind,
        view: Option<(u64, Option<jiff::Timestamp>)>,
    ) -> bool {
        view.is_some_and(|(b, at)| self.deps.feedback.behind(&owner.key(), kind, b, at))
    }

    /// The address this process served for the Neuron, at which block.
    pub fn served(&self, owner: &Owner) -> Option<(IpAddr, u16, u64)> {
        self.deps
            .served
            .lock()
            .expect("served lock")
            .get(&owner.key())
            .copied()
    }

    /// Queues the request on its signer's queue; `false` when one of the same kind is already
    /// queued or running for that Neuron (nothing is queued twice).
    pub fn submit(&self, req: Request) -> bool {
        let key = (req.owner.key(), req.action.kind());
        if !self.deps.busy.lock().expect("busy lock").insert(key) {
            return false;
        }
        self.send(req.action.signer_account(), queue::Job::Do(Box::new(req)));
        true
    }

    /// Resolves every unresolved intent it can from the chain (at start, after a crash, and
    /// periodically while some wait): each on its signer's queue, before anything new is signed.
    pub fn resolve_pending(&self) {
        for ns in self.deps.ledger.namespaces() {
            let spends = self.deps.ledger.of_namespace(&ns);
            for s in spends.iter().filter(|s| !s.resolved()) {
                let Ok(signer) = AccountId::from_ss58(&s.spec.signer) else {
                    continue;
                };
                let key = format!("{ns}/{}", kube::ResourceExt::name_any(s));
                if self
                    .deps
                    .resolving
                    .lock()
                    .expect("resolving lock")
                    .insert(key)
                {
                    self.send(signer, queue::Job::Resolve(Box::new(s.clone())));
                }
            }
        }
    }

    /// Forgets a deleted Neuron's feedback and served address.
    pub fn forget(&self, namespace: &str, neuron: &str) {
        let key = format!("{namespace}/{neuron}");
        self.deps.feedback.forget(&key);
        self.deps.served.lock().expect("served lock").remove(&key);
    }

    fn send(&self, signer: AccountId, job: queue::Job) {
        let mut queues = self.queues.lock().expect("queues lock");
        let tx = queues.entry(signer).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(queue::run(self.deps.clone(), rx));
            tx
        });
        if let Err(mpsc::error::SendError(job)) = tx.send(job) {
            // The queue's task ended (a panic): start a fresh one for this account.
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(queue::run(self.deps.clone(), rx));
            let _ = tx.send(job);
            queues.insert(signer, tx);
        }
    }
}
