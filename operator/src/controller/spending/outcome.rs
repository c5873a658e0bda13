//! What a submission's answer means: an outcome written once to the ledger (with its Event and
//! metric), an intent discarded when nothing reached a block, or left unresolved for the chain
//! scan when the answer was lost.

use super::job::{refuse, Done};
use super::resolve::{self, included};
use super::Deps;
use crate::api::{ResolvedBy, Spend, SpendCall, SpendStatus};
use crate::chain::{ChainError, TxResult};
use crate::decide::spend_failure::{classify, reason, SpendFailure};
use kube::runtime::events::EventType;
use kube::ResourceExt;

/// Errors that prove nothing reached a block (refused before signing or by the pool).
fn not_submitted(e: &ChainError) -> bool {
    matches!(
        e,
        ChainError::Rejected(_)
            | ChainError::BurnAboveLimit { .. }
            | ChainError::PriceBeyondLimit { .. }
            | ChainError::ProxyNotAllowed(_)
            | ChainError::Unsupported(_)
            | ChainError::SubnetNotFound(_)
            // Raised only before the extrinsic is sent (`client/submit.rs`): a refusal of the
            // request, not of a transaction the node may hold.
            | ChainError::RateLimited(_)
    )
}

/// Writes what the submission learnt, and what the Neuron should show about it.
pub async fn finish(
    deps: &Deps,
    intent: &Spend,
    result: Result<crate::chain::TxOutcome, ChainError>,
) -> Done {
    let owner = resolve::owner_of(intent);
    match result {
        Ok(o) => {
            crate::controller::failpoint::hit("registration:after_inclusion");
            record_outcome(deps, intent, included(intent, &o, ResolvedBy::Inclusion)).await;
            failure_refusal(intent.spec.call, &o.result)
        }
        Err(e) if not_submitted(&e) => {
            if let Err(err) = deps.ledger.discard(intent).await {
                tracing::warn!(spend = %intent.name_any(), error = %err, "could not discard a refused intent; it resolves as expired");
            }
            let (reason, secs) = match &e {
                ChainError::BurnAboveLimit { .. } => ("BurnAboveCap", 6),
                ChainError::PriceBeyondLimit { .. } => ("PriceBeyondLimit", 12),
                ChainError::ProxyNotAllowed(_) => ("ProxyMisconfigured", 60),
                ChainError::RateLimited(_) => ("RateLimited", 15),
                ChainError::Rejected(r) => (reason(classify(&r.name)).unwrap_or("Rejected"), 20),
                _ => ("Rejected", 60),
            };
            let what = call_noun(intent.spec.call);
            let note = format!("{what} not submitted: {e}");
            publish(
                deps,
                &owner,
                EventType::Warning,
                &format!("{}Rejected", call_word(intent.spec.call)),
                &note,
            )
            .await;
            refuse(reason, note, secs)
        }
        Err(e) => {
            let note = format!(
                "{} outcome unknown, checking the chain before anything else: {e}",
                call_noun(intent.spec.call)
            );
            publish(
                deps,
                &owner,
                EventType::Warning,
                &format!("{}OutcomeUnknown", call_word(intent.spec.call)),
                &note,
            )
            .await;
            // The account signs nothing else until this is resolved: look a few blocks on
            // (the periodic pass takes over after that).
            for _ in 0..RESOLVE_TRIES {
                tokio::time::sleep(RESOLVE_PAUSE).await;
                let current = deps.ledger.get(intent);
                match current {
                    Some(s) if !s.resolved() => {
                        if matches!(
                            resolve::settle(deps, &s).await,
                            resolve::Settled::Resolved(_)
                        ) {
                            break;
                        }
                    }
                    _ => break,
                }
            }
            Done::Recorded
        }
    }
}

/// How often, and how far apart, a lost answer is looked for on chain right away.
const RESOLVE_TRIES: u32 = 5;
const RESOLVE_PAUSE: std::time::Duration = std::time::Duration::from_secs(4);

/// The condition an included but failed spend leaves, when its error needs one of its own.
fn failure_refusal(call: SpendCall, result: &TxResult) -> Done {
    let TxResult::Failed { pallet, error } = result else {
        return Done::Recorded;
    };
    let class = classify(error);
    let Some(why) = reason(class) else {
        // The ledger's failure pause takes it from here (`spend_pause::failure_backoff`); until
        // the store shows the resolution, the spend reads as in flight.
        return Done::Recorded;
    };
    // A stake whose price bound the pool moved past is no burn above a cap; it counts as a
    // failed step (`spend_pause::stake_failure_backoff`: 60 s first), so say why that long.
    let (why, secs) = match (class, call) {
        (SpendFailure::PriceLimit, SpendCall::AddStake | SpendCall::RemoveStake) => {
            ("PriceBeyondLimit", 60)
        }
        _ => (why, 30),
    };
    let msg = match class {
        SpendFailure::PriceLimit if call != SpendCall::Register => format!("the price moved past the limit by inclusion ({error}: a fee was paid, no stake moved); waiting"),
        SpendFailure::PriceLimit => format!("the price rose past the limit by inclusion ({error}: a fee was paid, nothing burned); waiting"),
        SpendFailure::ProxyMisconfigured => format!("the chain refused the proxied call ({pallet}.{error}): the proxy key has no proxy of a type that may make it for the coldkey"),
        _ => format!("the chain refused the call ({pallet}.{error})"),
    };
    refuse(why, msg, secs)
}

fn call_word(c: SpendCall) -> &'static str {
    match c {
        SpendCall::Register => "Registration",
        SpendCall::AddStake | SpendCall::RemoveStake => "Stake",
    }
}

fn call_noun(c: SpendCall) -> &'static str {
    match c {
        SpendCall::Register => "registration",
        SpendCall::AddStake => "add_stake",
        SpendCall::RemoveStake => "remove_stake",
    }
}

async fn publish(deps: &Deps, owner: &super::Owner, t: EventType, reason: &str, note: &str) {
    let r = crate::controller::events::neuron_ref(
        &owner.namespace,
        &owner.neuron,
        owner.uid.as_deref(),
    );
    crate::controller::events::publish_on(&deps.recorder, &r, t, reason, note).await;
}

/// Writes the outcome once; reports it (Event, metrics, log) when this call wrote it.
pub async fn record_outcome(deps: &Deps, spend: &Spend, status: SpendStatus) -> bool {
    let result = status.result.clone().unwrap_or_default();
    let paid = status.paid_rao;
    let block = status.block.unwrap_or(spend.spec.birth_block);
    match deps.ledger.resolve(spend, status).await {
        Ok(true) => {}
        Ok(false) => return false,
        Err(e) => {
            tracing::warn!(spend = %spend.name_any(), error = %e, "could not write the outcome; it is resolved again from the chain");
            return false;
        }
    }
    let owner = resolve::owner_of(spend);
    let ok = result.starts_with("Success");
    let (reason, verb) = match (spend.spec.call, ok) {
        (SpendCall::Register, true) => ("Registered", "registration"),
        (SpendCall::Register, false) => ("RegistrationFailed", "registration"),
        (SpendCall::AddStake, true) => ("StakeAdded", "stake added:"),
        (SpendCall::RemoveStake, true) => ("StakeRemoved", "stake removed:"),
        (_, false) => ("StakeFailed", "stake"),
    };
    let t = if ok {
        EventType::Normal
    } else {
        EventType::Warning
    };
    let note = format!(
        "{verb} {result} at block {block}: {} TAO ({paid} rao), ledger {}",
        crate::api::format_tao(paid),
        spend.name_any()
    );
    publish(deps, &owner, t, reason, &note).await;
    if spend.spec.call == SpendCall::Register {
        deps.metrics
            .lifecycle
            .registration(&owner.namespace, &spend.spec.subnet, &result, paid);
    }
    tracing::info!(neuron = %owner.key(), spend = %spend.name_any(), %result, paid_rao = paid, "outcome recorded");
    true
}
