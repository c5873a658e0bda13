//! Registration on the chain: submit with a recorded intent, and resolve an intent whose
//! outcome was not recorded. Callers hold the Subnet's spend lock for `register`.

use super::registration::{blocked, clear, MORTALITY, RETRY};
use super::target::{client, fresh_status, load_signer, Target};
use super::{failpoint, publish, write_status, StepOutcome};
use crate::api::{NeuronPhase, NeuronStatus, RegistrationIntent, RegistrationRecord};
use crate::chain::{AccountId, ChainError, RegisterRequest, TxParams, TxResult};
use crate::controller::error::Result;
use crate::decide::registration::{resolve_intent, IntentProbe, IntentResolution};
use crate::decide::spend_failure::{classify, coldkey_swap_message, reason, SpendFailure};
use kube::runtime::events::EventType;
use kube::ResourceExt;
use std::time::Duration;

/// The reconcile may run on a cached object older than our own last write: act only if the
/// API server's registration fields are what we decided on.
async fn status_is_current(t: &Target<'_>, status: &NeuronStatus) -> Result<bool> {
    let fresh = fresh_status(t).await?;
    Ok(fresh.pending_registration == status.pending_registration
        && fresh.registration == status.registration)
}

pub async fn register(
    t: &Target<'_>,
    status: &mut NeuronStatus,
    limit_rao: u64,
) -> Result<StepOutcome> {
    let Some(chain) = client(t) else {
        return Ok(StepOutcome::retry(RETRY));
    };
    let signer = match load_signer(t).await? {
        Ok(s) => s,
        Err(msg) => return Ok(blocked("ColdkeyUnusable", msg)),
    };
    let netuid = t.subnet.spec.netuid;
    let reads = async {
        let uid = chain.uid_of(netuid, &t.hotkey).await?;
        let head = chain.head().await?;
        let nonce = chain.account_nonce(&signer.signer_account()).await?;
        let free = chain.free_balance(&signer.payer()).await?;
        let swap = chain.coldkey_swap(&signer.payer()).await?;
        Ok::<_, ChainError>((uid, head, nonce, free, swap))
    };
    let (uid, head, nonce, free, swap) = match reads.await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(neuron = %t.neuron.name_any(), error = %e, "registration: chain read failed");
            return Ok(StepOutcome::retry(RETRY));
        }
    };
    if uid.is_some() {
        // Registered already; the poller's snapshot has not caught up.
        return Ok(StepOutcome {
            conditions: clear(),
            requeue: Some(RETRY),
        });
    }
    if let Some(swap) = swap {
        let payer = signer.payer().ss58();
        let msg = coldkey_swap_message(&payer, swap.executable_at, swap.disputed);
        return Ok(StepOutcome {
            requeue: Some(SWAP_RECHECK),
            ..blocked("ColdkeySwapAnnounced", msg)
        });
    }
    let burn = t
        .chain
        .and_then(|c| c.snapshot.as_ref())
        .map_or(limit_rao, |s| s.params.burn);
    if free < burn {
        return Ok(blocked(
            "InsufficientBalance",
            format!(
                "coldkey {} has {} TAO, the burn is {} TAO",
                signer.payer(),
                crate::api::format_tao(free),
                crate::api::format_tao(burn)
            ),
        ));
    }
    let tx = TxParams {
        nonce,
        birth_block: head,
        period: MORTALITY,
    };
    let intent = RegistrationIntent {
        hotkey: t.hotkey.ss58(),
        limit_rao,
        nonce,
        mortal_until_block: tx.mortal_until(),
        tx_hash: None,
        at: jiff::Timestamp::now().to_string(),
    };
    status.pending_registration = Some(intent.clone());
    status.phase = NeuronPhase::Registering;
    // Must be durable before anything is sent: an error here ends the step with no submission.
    write_status(t, status).await?;
    tracing::info!(neuron = %t.neuron.name_any(), nonce, limit_rao, mortal_until = intent.mortal_until_block, "registration intent recorded; submitting");
    failpoint::hit("registration:before_submit");
    let req = RegisterRequest {
        netuid,
        hotkey: t.hotkey,
        limit_rao,
        signer: &signer,
        tx,
    };
    let result = failpoint::submit("registration:after_submit", chain.register(&req)).await;
    match result {
        Ok(outcome) => {
            failpoint::hit("registration:after_inclusion");
            // A success whose events carried no amount is accounted at the limit (upper bound).
            let (paid_rao, result) = match (&outcome.result, outcome.amounts_known) {
                (TxResult::Success, false) => (limit_rao, "SuccessAmountUnknown".to_string()),
                (r, _) => (outcome.burned_rao, r.label().to_string()),
            };
            let record = RegistrationRecord {
                block: outcome.block,
                tx_hash: Some(outcome.tx_hash.clone()),
                paid_rao,
                result,
                hotkey: Some(t.hotkey.ss58()),
                at: Some(jiff::Timestamp::now().to_string()),
            };
            let done = finish(t, status, record).await?;
            Ok(failed_because(&outcome.result, limit_rao, outcome.block).unwrap_or(done))
        }
        Err(e) if not_included(&e) => {
            status.pending_registration = None;
            write_status(t, status).await?;
            let note = format!("registration not submitted: {e}");
            publish(
                t.ctx,
                t.neuron,
                EventType::Warning,
                "RegistrationRejected",
                &note,
            )
            .await;
            t.ctx.metrics.lifecycle.registration(
                &t.key.namespace,
                &t.key.name,
                e.metric_label(),
                0,
            );
            Ok(match e {
                ChainError::BurnAboveLimit { burn, limit } => blocked(
                    "BurnAboveCap",
                    format!(
                        "burn {} TAO is above the limit {} TAO; waiting for it to decay",
                        crate::api::format_tao(burn),
                        crate::api::format_tao(limit)
                    ),
                ),
                ChainError::ProxyNotAllowed(msg) => blocked("ProxyMisconfigured", msg),
                ChainError::Rejected(r) => match reason(classify(&r.name)) {
                    Some(why) => StepOutcome {
                        requeue: Some(SWAP_RECHECK),
                        ..blocked(
                            why,
                            format!("the transaction pool refused the registration: {r}"),
                        )
                    },
                    None => StepOutcome::retry(RETRY),
                },
                _ => StepOutcome::retry(RETRY),
            })
        }
        Err(e) => {
            // Maybe included: the intent stays, and the next reconcile resolves it from the chain.
            let note = format!(
                "registration outcome unknown, checking the chain before anything else: {e}"
            );
            publish(
                t.ctx,
                t.neuron,
                EventType::Warning,
                "RegistrationOutcomeUnknown",
                &note,
            )
            .await;
            Ok(StepOutcome::retry(RETRY))
        }
    }
}

/// How soon to look again at a coldkey swap (it lasts days, but may be withdrawn) or a pool
/// refusal of that kind: two chain reads per Neuron each time, nothing submitted.
const SWAP_RECHECK: Duration = Duration::from_secs(20);

/// Errors that prove nothing reached a block (refused before signing or by the pool).
fn not_included(e: &ChainError) -> bool {
    matches!(
        e,
        ChainError::Rejected(_)
            | ChainError::BurnAboveLimit { .. }
            | ChainError::ProxyNotAllowed(_)
            | ChainError::Unsupported(_)
            | ChainError::SubnetNotFound(_)
    )
}

/// The condition an included but failed registration leaves, when its error needs one of its
/// own (the proxy, the coldkey swap, the burn cap); `None` for the generic failure pause.
fn failed_because(result: &TxResult, limit_rao: u64, block: u64) -> Option<StepOutcome> {
    let TxResult::Failed { pallet, error } = result else {
        return None;
    };
    let why = reason(classify(error))?;
    let msg = match classify(error) {
        SpendFailure::PriceLimit => format!(
            "the burn rose above the limit {} TAO by block {block} ({error}: a fee was paid, nothing burned); waiting for it to fall",
            crate::api::format_tao(limit_rao)
        ),
        SpendFailure::ProxyMisconfigured => format!(
            "the chain refused the proxied registration ({pallet}.{error}): the proxy key has no proxy of a type that may register for the coldkey"
        ),
        _ => format!("the chain refused the registration ({pallet}.{error})"),
    };
    Some(blocked(why, msg))
}

/// Appends the record, clears the intent, writes status, and reports the spend.
async fn finish(
    t: &Target<'_>,
    status: &mut NeuronStatus,
    record: RegistrationRecord,
) -> Result<StepOutcome> {
    status.registration.push(record.clone());
    status.pending_registration = None;
    write_status(t, status).await?;
    t.ctx.metrics.lifecycle.registration(
        &t.key.namespace,
        &t.key.name,
        &record.result,
        record.paid_rao,
    );
    let (type_, reason) = if record.result.starts_with("Success") {
        (EventType::Normal, "Registered")
    } else {
        (EventType::Warning, "RegistrationFailed")
    };
    let note = format!(
        "registration {} at block {}: paid {} TAO ({}){}",
        record.result,
        record.block,
        crate::api::format_tao(record.paid_rao),
        record.paid_rao,
        record
            .tx_hash
            .as_deref()
            .map(|h| format!(", tx {h}"))
            .unwrap_or_default()
    );
    tracing::info!(neuron = %t.neuron.name_any(), result = %record.result, paid_rao = record.paid_rao, block = record.block, "registration recorded");
    publish(t.ctx, t.neuron, type_, reason, &note).await;
    Ok(StepOutcome {
        conditions: clear(),
        requeue: Some(Duration::from_secs(1)),
    })
}

/// Reads the chain about the recorded intent and ends it once its fate is certain.
pub async fn resolve(t: &Target<'_>, status: &mut NeuronStatus) -> Result<StepOutcome> {
    let Some(intent) = status.pending_registration.clone() else {
        return Ok(StepOutcome::default());
    };
    let Some(chain) = client(t) else {
        return Ok(StepOutcome::retry(RETRY));
    };
    if !status_is_current(t, status).await? {
        return Ok(StepOutcome::retry(Duration::from_secs(1)));
    }
    let hotkey = AccountId::from_ss58(&intent.hotkey).unwrap_or(t.hotkey);
    // Without the signer, its nonce stays unknown: only "registered" or "expired" can end it.
    let signer = load_signer(t).await?.ok();
    let reads = async {
        let head = chain.head().await?;
        let uid = chain.uid_of(t.subnet.spec.netuid, &hotkey).await?;
        let signer_nonce = match &signer {
            Some(s) => chain.account_nonce(&s.signer_account()).await?,
            None => intent.nonce,
        };
        Ok::<_, ChainError>(IntentProbe {
            head,
            uid,
            signer_nonce,
        })
    };
    let probe = match reads.await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(neuron = %t.neuron.name_any(), error = %e, "registration intent: chain read failed");
            return Ok(StepOutcome::retry(RETRY));
        }
    };
    let (result, paid_rao) = match resolve_intent(&intent, &probe) {
        IntentResolution::StillPending => {
            tracing::info!(neuron = %t.neuron.name_any(), head = probe.head, mortal_until = intent.mortal_until_block, "registration intent may still be included; waiting");
            return Ok(StepOutcome {
                conditions: clear(),
                requeue: Some(RETRY),
            });
        }
        // The answer was lost: the burn is unknown, so the cost limit is recorded (an upper
        // bound, the safe side for budgets).
        IntentResolution::Registered { .. } => ("SuccessAmountUnknown", intent.limit_rao),
        IntentResolution::NonceUsedNotRegistered => ("NonceUsedNotRegistered", 0),
        IntentResolution::Expired => ("Expired", 0),
    };
    let record = RegistrationRecord {
        block: probe.head,
        tx_hash: intent.tx_hash.clone(),
        paid_rao,
        result: result.into(),
        hotkey: Some(intent.hotkey.clone()),
        at: Some(jiff::Timestamp::now().to_string()),
    };
    finish(t, status, record).await
}
