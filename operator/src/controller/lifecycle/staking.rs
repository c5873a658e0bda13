//! Validator stake to `targetTao`: at most `maxAddPerDayTao` added in any 24 h, never unstaked
//! unless `allowUnstake`. Same money discipline as registration: the chain is read directly
//! before acting, the intent is written to status before submitting, an unresolved intent
//! blocks any new operation until the chain says how it ended.

use super::target::{
    announce, client, fresh_status, load_signer, try_subnet_turn, without, Target, TURN_RETRY,
};
use super::{failpoint, publish, write_status, StepOutcome};
use crate::api::{
    types, CondSpec, NeuronStatus, Role, StakeIntent, StakeKind, StakeRecord, StakeSpec,
};
use crate::chain::{ChainError, StakeRequest, TxParams};
use crate::controller::error::Result;
use crate::decide::spend_failure::coldkey_swap_message;
use crate::decide::stake::{decide, StakeInput, StakeStep};
use jiff::{SignedDuration, Timestamp};
use kube::runtime::events::EventType;
use kube::ResourceExt;
use std::time::Duration;

const MORTALITY: u64 = 64;
const RETRY: Duration = Duration::from_secs(6);

fn satisfied(status: bool, reason: &str, message: impl Into<String>) -> StepOutcome {
    let c = CondSpec::new(types::STAKE_SATISFIED, status, reason, message);
    StepOutcome {
        conditions: vec![(types::STAKE_SATISFIED, Some(c))],
        requeue: None,
    }
}

/// Stake added by successful operations in the 24 h before `now`.
pub fn added_last_24h(ops: &[StakeRecord], now: Timestamp) -> u64 {
    let since = now - SignedDuration::from_hours(24);
    ops.iter()
        .filter(|r| r.kind == StakeKind::Add && r.result.starts_with("Success"))
        .filter(|r| match r.at.as_deref().map(str::parse::<Timestamp>) {
            Some(Ok(at)) => at >= since,
            _ => true, // undated: count it, to stay under the cap
        })
        .map(|r| r.amount_rao)
        .sum()
}

/// How a stake intent ended, from the signer's nonce, the head and the stake now:
/// `None` while it may still be included; else (result, amount moved).
pub fn resolve_stake(
    i: &StakeIntent,
    head: u64,
    nonce: u64,
    stake_now: u64,
) -> Option<(&'static str, u64)> {
    if nonce > i.nonce {
        return Some(if stake_now != i.stake_before_rao {
            ("SuccessResolved", i.amount_rao)
        } else {
            ("NonceUsedNoChange", 0)
        });
    }
    (head > i.mortal_until_block).then_some(("Expired", 0))
}

fn input(
    spec: &StakeSpec,
    status: &NeuronStatus,
    current: u64,
    now: Timestamp,
) -> std::result::Result<StakeInput, String> {
    let target = spec
        .target_tao
        .to_rao()
        .map_err(|e| format!("stake.targetTao: {}", e.0))?;
    let cap = match &spec.max_add_per_day_tao {
        Some(t) => t
            .to_rao()
            .map_err(|e| format!("stake.maxAddPerDayTao: {}", e.0))?,
        None => target,
    };
    Ok(StakeInput {
        target_rao: target,
        current_rao: current,
        max_add_per_day_rao: cap,
        added_last_24h_rao: added_last_24h(&status.stake_operations, now),
        allow_unstake: spec.allow_unstake,
        pending: status.pending_stake.is_some(),
    })
}

pub async fn step(t: &Target<'_>, status: &mut NeuronStatus) -> Result<StepOutcome> {
    let spec = match &t.neuron.spec.stake {
        Some(s) if t.neuron.spec.role == Role::Validator => s,
        _ => return Ok(without(types::STAKE_SATISFIED)),
    };
    let Some(info) = t.info() else {
        if status.pending_stake.is_some() {
            return resolve(t, status).await;
        }
        return Ok(satisfied(
            false,
            "NotRegistered",
            "stake is kept once the hotkey is registered",
        ));
    };
    let outcome = match input(spec, status, info.stake, Timestamp::now()).map(|i| decide(&i)) {
        Err(msg) => satisfied(false, "InvalidSpec", msg),
        Ok(StakeStep::Satisfied) => satisfied(
            true,
            "TargetReached",
            format!(
                "stake {} TAO, target {} TAO",
                crate::api::format_tao(info.stake),
                spec.target_tao
            ),
        ),
        Ok(StakeStep::DailyCapReached { missing_rao }) => StepOutcome {
            requeue: Some(Duration::from_secs(300)),
            ..satisfied(
                false,
                "DailyCapReached",
                format!(
                    "{} TAO below the target; maxAddPerDayTao is used up for the last 24 h",
                    crate::api::format_tao(missing_rao)
                ),
            )
        },
        Ok(StakeStep::ResolveIntent) => resolve(t, status).await?,
        Ok(StakeStep::Add { .. } | StakeStep::Remove { .. }) => act(t, spec, status).await?,
    };
    Ok(announce(t, status, outcome).await)
}

/// Decides again on the chain's stake read right now, records the intent, submits.
async fn act(t: &Target<'_>, spec: &StakeSpec, status: &mut NeuronStatus) -> Result<StepOutcome> {
    let Some(_turn) = try_subnet_turn(&t.key) else {
        return Ok(StepOutcome::retry(TURN_RETRY));
    };
    let fresh = fresh_status(t).await?;
    if fresh.pending_stake != status.pending_stake
        || fresh.stake_operations != status.stake_operations
    {
        return Ok(StepOutcome::retry(Duration::from_secs(1)));
    }
    let (Some(chain), Ok(signer)) = (client(t), load_signer(t).await?) else {
        return Ok(StepOutcome {
            requeue: Some(RETRY),
            ..satisfied(
                false,
                "ChainOrColdkeyUnavailable",
                "no chain connection or no usable coldkey Secret",
            )
        });
    };
    let netuid = t.subnet.spec.netuid;
    let reads = async {
        let head = chain.head().await?;
        let nonce = chain.account_nonce(&signer.signer_account()).await?;
        let snap = chain.snapshot(netuid, &Default::default()).await?;
        let free = chain.free_balance(&signer.payer()).await?;
        let swap = chain.coldkey_swap(&signer.payer()).await?;
        Ok::<_, ChainError>((
            head,
            nonce,
            snap.neuron_by_hotkey(&t.hotkey).map(|n| n.stake),
            free,
            swap,
        ))
    };
    let (head, nonce, stake_now, free) = match reads.await {
        Ok((_, _, Some(_), _, Some(swap))) => {
            let payer = signer.payer().ss58();
            let msg = coldkey_swap_message(&payer, swap.executable_at, swap.disputed);
            return Ok(StepOutcome {
                requeue: Some(Duration::from_secs(60)),
                ..satisfied(false, "ColdkeySwapAnnounced", msg)
            });
        }
        Ok((h, n, Some(s), f, None)) => (h, n, s, f),
        Ok(_) => return Ok(StepOutcome::retry(RETRY)), // no longer registered
        Err(e) => {
            tracing::warn!(neuron = %t.neuron.name_any(), error = %e, "stake: chain read failed");
            return Ok(StepOutcome::retry(RETRY));
        }
    };
    let (kind, amount) = match input(spec, status, stake_now, Timestamp::now()).map(|i| decide(&i))
    {
        Ok(StakeStep::Add { amount_rao }) => (StakeKind::Add, amount_rao),
        Ok(StakeStep::Remove { amount_rao }) => (StakeKind::Remove, amount_rao),
        _ => return Ok(StepOutcome::retry(Duration::from_secs(1))),
    };
    if kind == StakeKind::Add && free < amount {
        return Ok(satisfied(
            false,
            "InsufficientBalance",
            format!(
                "coldkey {} has {} TAO, adding {} TAO of stake needs more",
                signer.payer(),
                crate::api::format_tao(free),
                crate::api::format_tao(amount)
            ),
        ));
    }
    let tx = TxParams {
        nonce,
        birth_block: head,
        period: MORTALITY,
    };
    status.pending_stake = Some(StakeIntent {
        kind,
        amount_rao: amount,
        stake_before_rao: stake_now,
        nonce,
        mortal_until_block: tx.mortal_until(),
        tx_hash: None,
        at: Timestamp::now().to_string(),
    });
    write_status(t, status).await?;
    failpoint::hit("stake:before_submit");
    let req = StakeRequest {
        netuid,
        hotkey: t.hotkey,
        amount_rao: amount,
        limit: None,
        signer: &signer,
        tx,
    };
    let result = match kind {
        StakeKind::Add => chain.add_stake(&req).await,
        StakeKind::Remove => chain.remove_stake(&req).await,
    };
    match result {
        Ok(o) => {
            let ok = o.result.label() == "Success";
            // What moved, from the StakeAdded/StakeRemoved event: TAO spent when adding, alpha
            // sold when removing (partial fills move less than asked).
            let moved = o.stake.map(|m| match kind {
                StakeKind::Add => m.tao_rao,
                StakeKind::Remove => m.alpha_rao,
            });
            let record = StakeRecord {
                kind,
                block: o.block,
                tx_hash: Some(o.tx_hash.clone()),
                amount_rao: if ok { moved.unwrap_or(amount) } else { 0 },
                result: o.result.label().to_string(),
                at: Some(Timestamp::now().to_string()),
            };
            finish(t, status, record).await
        }
        Err(ChainError::ProxyNotAllowed(msg)) => {
            status.pending_stake = None;
            write_status(t, status).await?;
            Ok(StepOutcome {
                requeue: Some(Duration::from_secs(60)),
                ..satisfied(false, "ProxyMisconfigured", msg)
            })
        }
        Err(
            e @ (ChainError::Rejected(_)
            | ChainError::PriceBeyondLimit { .. }
            | ChainError::Unsupported(_)
            | ChainError::SubnetNotFound(_)),
        ) => {
            status.pending_stake = None;
            write_status(t, status).await?;
            publish(
                t.ctx,
                t.neuron,
                EventType::Warning,
                "StakeRejected",
                &format!("stake not submitted: {e}"),
            )
            .await;
            Ok(StepOutcome::retry(Duration::from_secs(60)))
        }
        Err(e) => {
            let note =
                format!("stake outcome unknown, checking the chain before anything else: {e}");
            publish(
                t.ctx,
                t.neuron,
                EventType::Warning,
                "StakeOutcomeUnknown",
                &note,
            )
            .await;
            Ok(StepOutcome::retry(RETRY))
        }
    }
}

async fn finish(
    t: &Target<'_>,
    status: &mut NeuronStatus,
    record: StakeRecord,
) -> Result<StepOutcome> {
    status.stake_operations.push(record.clone());
    status.pending_stake = None;
    write_status(t, status).await?;
    let verb = match record.kind {
        StakeKind::Add => "added",
        StakeKind::Remove => "removed",
    };
    let note = format!(
        "stake {verb}: {} TAO, result {} at block {}",
        crate::api::format_tao(record.amount_rao),
        record.result,
        record.block
    );
    let (type_, reason) = match (record.result.starts_with("Success"), record.kind) {
        (true, StakeKind::Add) => (EventType::Normal, "StakeAdded"),
        (true, StakeKind::Remove) => (EventType::Normal, "StakeRemoved"),
        (false, _) => (EventType::Warning, "StakeFailed"),
    };
    tracing::info!(neuron = %t.neuron.name_any(), result = %record.result, amount_rao = record.amount_rao, "stake operation recorded");
    publish(t.ctx, t.neuron, type_, reason, &note).await;
    // A failed operation paid a fee: wait before trying again.
    let wait = if record.result.starts_with("Success") {
        1
    } else {
        60
    };
    Ok(StepOutcome::retry(Duration::from_secs(wait)))
}

async fn resolve(t: &Target<'_>, status: &mut NeuronStatus) -> Result<StepOutcome> {
    let Some(intent) = status.pending_stake.clone() else {
        return Ok(StepOutcome::default());
    };
    let fresh = fresh_status(t).await?;
    if fresh.pending_stake != status.pending_stake {
        return Ok(StepOutcome::retry(Duration::from_secs(1)));
    }
    let (Some(chain), Ok(signer)) = (client(t), load_signer(t).await?) else {
        return Ok(StepOutcome::retry(RETRY));
    };
    let netuid = t.subnet.spec.netuid;
    let reads = async {
        let head = chain.head().await?;
        let nonce = chain.account_nonce(&signer.signer_account()).await?;
        let snap = chain.snapshot(netuid, &Default::default()).await?;
        Ok::<_, ChainError>((
            head,
            nonce,
            snap.neuron_by_hotkey(&t.hotkey).map_or(0, |n| n.stake),
        ))
    };
    let Ok((head, nonce, stake_now)) = reads.await else {
        return Ok(StepOutcome::retry(RETRY));
    };
    let Some((result, amount)) = resolve_stake(&intent, head, nonce, stake_now) else {
        return Ok(StepOutcome::retry(RETRY));
    };
    let record = StakeRecord {
        kind: intent.kind,
        block: head,
        tx_hash: intent.tx_hash.clone(),
        amount_rao: amount,
        result: result.into(),
        at: Some(Timestamp::now().to_string()),
    };
    finish(t, status, record).await
}

#[cfg(test)]
#[path = "staking_tests.rs"]
mod tests;
