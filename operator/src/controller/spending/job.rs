//! One money job (register or stake) on its signer's queue: settle the account's earlier
//! intents, read the chain, decide again under the budget lock against the ledger, record the
//! intent, submit, and write the outcome from the inclusion's events.
//!
//! Money rules: nothing is submitted without a durable intent; an intent that may have reached
//! a block is never resubmitted (only resolved from the chain); every submission is capped by
//! min(cap, remaining budgets) and, on runtimes with `register_limit`, enforced by the chain.

use super::feedback::Refusal;
use super::resolve;
use super::signer::{self, SignerRef};
use super::{Action, Deps, Request, MORTALITY};
use crate::api::{SpendCall, SpendSpec};
use crate::chain::{ChainError, Signer, TxParams};
use crate::decide::spend_failure::coldkey_swap_message;
use jiff::{SignedDuration, Timestamp};

/// How a job ended, for the Neuron's reconcile.
pub enum Done {
    /// An intent was recorded (resolved or still in flight): the ledger says the rest.
    Recorded,
    /// Nothing to do (already registered, target met).
    Nothing,
    /// The chain at this block already shows it done (the plan's snapshot was older).
    ChainAhead(u64),
    Refused(Refusal),
}

pub fn refuse(reason: &str, message: impl Into<String>, secs: i64) -> Done {
    Done::Refused(Refusal {
        reason: reason.into(),
        message: message.into(),
        retry_at: Timestamp::now() + SignedDuration::from_secs(secs),
    })
}

pub async fn run(deps: &Deps, req: &Request) {
    let done = match &req.action {
        Action::Register { .. } => super::register::register(deps, req).await,
        Action::Stake { .. } => super::stake::stake(deps, req).await,
        Action::Serve { .. } => Done::Nothing,
    };
    let (owner, kind) = (req.owner.key(), req.action.kind());
    match done {
        Done::Refused(r) => {
            tracing::info!(neuron = %owner, reason = %r.reason, message = %r.message, "request refused");
            deps.feedback.refuse(&owner, kind, r)
        }
        Done::Recorded | Done::Nothing => deps.feedback.clear(&owner, kind),
        Done::ChainAhead(head) => {
            deps.feedback.clear(&owner, kind);
            deps.feedback.done_at(&owner, kind, head);
        }
    }
}

/// Chain reads every money job starts from, at the best block.
pub struct Reads {
    pub head: u64,
    pub nonce: u64,
    pub free: u64,
    pub uid: Option<u16>,
    /// From the cached snapshot (the subnet the intent is about).
    pub subnet_registered_at: Option<u64>,
}

async fn read(
    chain: &dyn crate::chain::Chain,
    req: &Request,
    signer: &Signer,
) -> Result<(Reads, Option<crate::chain::ColdkeySwap>), ChainError> {
    let uid = chain.uid_of(req.netuid, &req.hotkey).await?;
    let head = chain.head().await?;
    let nonce = chain.account_nonce(&signer.signer_account()).await?;
    let free = chain.free_balance(&signer.payer()).await?;
    let swap = chain.coldkey_swap(&signer.payer()).await?;
    Ok((
        Reads {
            head,
            nonce,
            free,
            uid,
            subnet_registered_at: None,
        },
        swap,
    ))
}

/// What a job works with once started.
pub struct Started {
    pub chain: std::sync::Arc<dyn crate::chain::Chain>,
    pub signer: Signer,
    pub reads: Reads,
}

/// The common start: a connected chain, a ready ledger, the key, the account's earlier intents
/// settled, fresh reads, no coldkey swap.
pub async fn start(deps: &Deps, req: &Request, key: &SignerRef) -> Result<Started, Done> {
    let Some(chain) = deps.pollers.client(&req.subnet) else {
        return Err(refuse("WaitingForChain", "no chain connection yet", 6));
    };
    if !deps.ledger.ready().await {
        return Err(refuse(
            "WaitingForLedger",
            "the ledger is not listed yet",
            2,
        ));
    }
    let signer = signer::load(deps, key)
        .await
        .map_err(|msg| refuse("ColdkeyUnusable", msg, 30))?;
    let account = signer.signer_account();
    if !resolve::settle_signer(deps, &account).await {
        let msg = format!(
            "an earlier extrinsic of {account} may still be included; nothing is signed with it until the chain shows how that ended"
        );
        return Err(refuse("PreviousExtrinsicPending", msg, 6));
    }
    match read(chain.as_ref(), req, &signer).await {
        Err(e) => Err(refuse("ChainReadFailed", e.to_string(), 6)),
        Ok((_, Some(swap))) => {
            let msg =
                coldkey_swap_message(&signer.payer().ss58(), swap.executable_at, swap.disputed);
            Err(refuse("ColdkeySwapAnnounced", msg, 20))
        }
        Ok((mut reads, None)) => {
            reads.subnet_registered_at = deps
                .cache
                .get(&req.subnet)
                .and_then(|c| c.snapshot.as_ref().map(|s| s.params.network_registered_at));
            Ok(Started {
                chain,
                signer,
                reads,
            })
        }
    }
}

/// What an intent records besides the request: the call, its TAO limit, the amount asked and
/// the price bound.
pub struct Intent {
    pub call: SpendCall,
    pub limit_rao: u64,
    pub amount_rao: u64,
    pub limit_price_rao: Option<u64>,
}

pub fn spec(req: &Request, signer: &Signer, reads: &Reads, i: Intent) -> SpendSpec {
    SpendSpec {
        subnet: req.subnet.name.clone(),
        netuid: req.netuid,
        neuron: req.owner.neuron.clone(),
        neuron_uid: req.owner.uid.clone(),
        neuron_set: req.owner.set.clone(),
        call: i.call,
        hotkey: req.hotkey.ss58(),
        coldkey: signer.payer().ss58(),
        signer: signer.signer_account().ss58(),
        limit_rao: i.limit_rao,
        amount_rao: i.amount_rao,
        limit_price_rao: i.limit_price_rao,
        nonce: reads.nonce,
        birth_block: reads.head,
        mortal_until_block: reads.head + MORTALITY,
        at: Timestamp::now().to_string(),
        subnet_registered_at: reads.subnet_registered_at,
    }
}

pub fn tx(reads: &Reads) -> TxParams {
    TxParams {
        nonce: reads.nonce,
        birth_block: reads.head,
        period: MORTALITY,
    }
}

/// The namespace's ledger, under the budget lock (held from the check to the recorded intent:
/// two jobs, of any accounts, never count the same remainder). `Err(Done::Recorded)` when the
/// Neuron already has an intent in flight.
pub async fn locked_ledger<'a>(
    deps: &'a Deps,
    req: &Request,
) -> Result<(tokio::sync::MutexGuard<'a, ()>, Vec<crate::api::Spend>), Done> {
    let guard = deps.budget.lock().await;
    let spends = deps.ledger.of_namespace(&req.owner.namespace);
    if !crate::decide::ledger::in_flight(&spends, &req.owner.neuron).is_empty() {
        return Err(Done::Recorded);
    }
    Ok((guard, spends))
}

/// Records the intent; nothing is submitted unless this succeeded.
pub async fn record(
    deps: &Deps,
    req: &Request,
    signer: &Signer,
    reads: &Reads,
    what: Intent,
) -> Result<crate::api::Spend, Done> {
    let spec = spec(req, signer, reads, what);
    deps.ledger
        .record_intent(&req.owner.namespace, spec)
        .await
        .map_err(|e| {
            let msg = format!("the intent could not be recorded, nothing submitted: {e}");
            refuse("LedgerWriteFailed", msg, 6)
        })
}
