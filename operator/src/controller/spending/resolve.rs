//! Resolving an intent whose answer was not seen (a crash between record and outcome, a lost
//! connection, an operator restart), from the chain alone:
//! - the signer's nonce has not moved: the extrinsic was not included; within its mortal window
//!   it still may be (wait), after it it never can be (`Expired`, nothing paid);
//! - it moved: the extrinsic that used the nonce is in the window's blocks (`Chain::find_tx`);
//!   if it is ours, its events give the outcome and the amounts; if another one used the nonce
//!   (or none is found), ours can never be included (`NonceUsedElsewhere`, nothing paid).
//!
//! The outcome is written once (`Ledger::resolve`); resolving again is a no-op.

use super::{Deps, Owner};
use crate::api::{Spend, SpendCall, SpendStatus};
use crate::chain::{AccountId, ChainError, FindTx, FoundTx, SubnetKey, TxKind, TxOutcome};
use kube::ResourceExt;

/// Blocks past an intent's mortal window before an unmoved nonce proves it was never included:
/// more than the pool's lag tolerance (`PoolOptions::lag_blocks`, 3).
const EXPIRY_MARGIN_BLOCKS: u64 = 8;

pub enum Settled {
    Resolved(Owner),
    /// Already resolved, still possibly in flight, or the chain could not be read: look later.
    NotNow,
}

pub fn owner_of(s: &Spend) -> Owner {
    Owner {
        namespace: s.namespace().unwrap_or_default(),
        neuron: s.spec.neuron.clone(),
        uid: s.spec.neuron_uid.clone(),
        set: s.spec.neuron_set.clone(),
    }
}

fn kind_of(call: SpendCall) -> TxKind {
    match call {
        SpendCall::Register => TxKind::Register,
        SpendCall::AddStake => TxKind::AddStake,
        SpendCall::RemoveStake => TxKind::RemoveStake,
    }
}

/// Whether the found extrinsic is the call the intent recorded: the same kind of call, on the
/// same netuid, for the same hotkey (when the chain shows them).
fn is_ours(s: &Spend, found: &FoundTx) -> bool {
    let same_hotkey = found.hotkey.is_none_or(|h| h.ss58() == s.spec.hotkey);
    let same_netuid = found.netuid.is_none_or(|n| n == s.spec.netuid);
    same_hotkey && same_netuid && same_call(s.spec.call, found)
}

fn same_call(call: SpendCall, found: &FoundTx) -> bool {
    let names: &[&str] = match call {
        SpendCall::Register => &["burned_register", "register_limit", "register"],
        SpendCall::AddStake => &["add_stake", "add_stake_limit"],
        SpendCall::RemoveStake => &["remove_stake", "remove_stake_limit"],
    };
    found
        .call
        .strip_prefix("SubtensorModule.")
        .is_some_and(|c| names.contains(&c))
}

/// The status of a spend included with `o` (from its inclusion or a scan).
pub fn included(spend: &Spend, o: &TxOutcome, by: crate::api::ResolvedBy) -> SpendStatus {
    let ok = o.result == crate::chain::TxResult::Success;
    let moved = o.stake.unwrap_or_default();
    let (paid, alpha) = match spend.spec.call {
        SpendCall::Register => (o.burned_rao, 0),
        SpendCall::AddStake => (moved.tao_rao, moved.alpha_rao),
        SpendCall::RemoveStake => (moved.tao_rao, moved.alpha_rao),
    };
    // A success whose events carried no amount is accounted at its limit (an upper bound).
    let unknown = ok && !o.amounts_known;
    let paid = if unknown { spend.spec.limit_rao } else { paid };
    let result = match (ok, unknown) {
        (true, true) => "SuccessAmountUnknown".to_string(),
        _ => o.result.label().to_string(),
    };
    SpendStatus {
        result: Some(result),
        resolved_by: Some(by),
        block: Some(o.block),
        tx_hash: Some(o.tx_hash.clone()),
        paid_rao: paid,
        paid_tao: Some(crate::api::format_tao(paid)),
        alpha_rao: alpha,
        fee_rao: o.fee_rao,
        amount_unknown: unknown,
        resolved_at: Some(jiff::Timestamp::now().to_string()),
    }
}

/// The status of a spend that reached no block (or can never reach one).
pub fn not_included(result: &str, block: u64, by: crate::api::ResolvedBy) -> SpendStatus {
    SpendStatus {
        result: Some(result.to_string()),
        resolved_by: Some(by),
        block: Some(block),
        paid_tao: Some("0".into()),
        resolved_at: Some(jiff::Timestamp::now().to_string()),
        ..Default::default()
    }
}

/// How the intent ended, if the chain can tell yet.
async fn probe(
    chain: &dyn crate::chain::Chain,
    s: &Spend,
) -> Result<Option<SpendStatus>, ChainError> {
    use crate::api::ResolvedBy::ChainScan;
    let signer = AccountId::from_ss58(&s.spec.signer)
        .map_err(|e| ChainError::Other(format!("spend signer: {e}")))?;
    let payer = AccountId::from_ss58(&s.spec.coldkey)
        .map_err(|e| ChainError::Other(format!("spend coldkey: {e}")))?;
    let head = chain.head().await?;
    let nonce = chain.account_nonce(&signer).await?;
    if nonce <= s.spec.nonce {
        // The head and the nonce may come from two endpoints of a pool, the second up to its
        // lag tolerance behind: "never included" needs the nonce read past the window.
        let past = s.spec.mortal_until_block + EXPIRY_MARGIN_BLOCKS;
        return Ok((head > past).then(|| not_included("Expired", head, ChainScan)));
    }
    let q = FindTx {
        signer,
        nonce: s.spec.nonce,
        from_block: s.spec.birth_block,
        to_block: head.min(s.spec.mortal_until_block),
        payer,
        kind: kind_of(s.spec.call),
    };
    Ok(Some(match chain.find_tx(&q).await? {
        Some(found) if is_ours(s, &found) => included(s, &found.outcome, ChainScan),
        _ => not_included("NonceUsedElsewhere", head, ChainScan),
    }))
}

/// Resolves `spend` if the chain can tell how it ended.
pub async fn settle(deps: &Deps, spend: &Spend) -> Settled {
    if spend.resolved() {
        return Settled::NotNow;
    }
    let key = SubnetKey {
        namespace: spend.namespace().unwrap_or_default(),
        name: spend.spec.subnet.clone(),
    };
    let Some(chain) = deps.pollers.client(&key) else {
        return Settled::NotNow;
    };
    let status = match probe(chain.as_ref(), spend).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            tracing::debug!(spend = %spend.name_any(), nonce = spend.spec.nonce, until = spend.spec.mortal_until_block, "intent not included yet; it may still be included until its mortal window closes");
            return Settled::NotNow;
        }
        Err(e) => {
            tracing::warn!(spend = %spend.name_any(), error = %e, "intent: chain read failed");
            return Settled::NotNow;
        }
    };
    match super::outcome::record_outcome(deps, spend, status).await {
        true => Settled::Resolved(owner_of(spend)),
        false => Settled::NotNow,
    }
}

/// Resolves what it can of `signer`'s unresolved intents (in any namespace: one coldkey may
/// serve several); `false` while one may still be in flight (nothing new may be signed by that
/// account until it is settled).
pub async fn settle_signer(deps: &Deps, signer: &AccountId) -> bool {
    let ss58 = signer.ss58();
    for ns in deps.ledger.namespaces() {
        let spends = deps.ledger.of_namespace(&ns);
        for s in crate::decide::ledger::in_flight_of_signer(&spends, &ss58) {
            if !matches!(settle(deps, s).await, Settled::Resolved(_)) {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
