//! A registration job: under the budget lock, decide again against the ledger (caps, budgets,
//! pauses after failures), record the intent, submit `register_limit` (or, on older runtimes,
//! `burned_register` after checking the burn at the birth block).

use super::job::{locked_ledger, record, refuse, start, tx, Done, Intent, Started};
use super::outcome::finish;
use super::{Action, Deps, Request};
use crate::api::SpendCall;
use crate::chain::RegisterRequest;
use crate::decide::ledger::{self as ledger_sums, Scope};
use crate::decide::spend_pause::{price_pause, retry_after_failures};
use jiff::Timestamp;
use kube::ResourceExt;

pub async fn register(deps: &Deps, req: &Request) -> Done {
    let Action::Register {
        signer,
        cap_rao,
        subnet_budget_rao,
        set_budget_rao,
    } = &req.action
    else {
        return Done::Nothing;
    };
    let Started {
        chain,
        signer,
        reads,
    } = match start(deps, req, signer).await {
        Ok(s) => s,
        Err(done) => return done,
    };
    let signer = &signer;
    if reads.uid.is_some() {
        return Done::ChainAhead(reads.head);
    }
    let Some(burn) = deps
        .cache
        .get(&req.subnet)
        .and_then(|c| c.snapshot.as_ref().map(|s| s.params.burn))
    else {
        return refuse("WaitingForChain", "no snapshot of the subnet yet", 6);
    };
    // From here to the recorded intent nobody else may count the same remainder.
    let (guard, spends) = match locked_ledger(deps, req).await {
        Ok(l) => l,
        Err(done) => return done,
    };
    let now = Timestamp::now();
    let records = ledger_sums::registration_records(&spends, &req.owner.neuron);
    if let Some(until) = price_pause(&records).filter(|u| now < *u) {
        let msg = format!(
            "the burn rose above the limit at the last attempt; looking again after {until}"
        );
        return refuse(
            "BurnAboveCap",
            msg,
            now.duration_until(until).as_secs().max(1),
        );
    }
    if let Some((n, until)) = retry_after_failures(&records).filter(|(_, u)| now < *u) {
        let msg = format!("{n} failed registration(s) in a row; next attempt after {until}");
        return refuse(
            "RetryBackoff",
            msg,
            now.duration_until(until).as_secs().max(1),
        );
    }
    let subnet_left = ledger_sums::remaining(
        *subnet_budget_rao,
        ledger_sums::spent_last_24h(&spends, Scope::Subnet(&req.subnet.name), now),
    );
    let set_left = match (&req.owner.set, set_budget_rao) {
        (Some(set), Some(b)) => {
            Some(b.saturating_sub(ledger_sums::spent(&spends, Scope::Set(set), None)))
        }
        _ => None,
    };
    let limit = [Some(*cap_rao), subnet_left, set_left]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(*cap_rao);
    let tao = crate::api::format_tao;
    if burn > *cap_rao {
        let msg = format!(
            "burn {} TAO is above the cap {} TAO; waiting for it to decay",
            tao(burn),
            tao(*cap_rao)
        );
        return refuse("BurnAboveCap", msg, 6);
    }
    if burn > limit {
        let left = subnet_left.into_iter().chain(set_left).min().unwrap_or(0);
        let msg = format!(
            "registration needs {} TAO but only {} TAO of budget remains",
            tao(burn),
            tao(left)
        );
        return refuse("BudgetExhausted", msg, 30);
    }
    if reads.free < burn {
        let msg = format!(
            "coldkey {} has {} TAO, the burn is {} TAO",
            signer.payer(),
            tao(reads.free),
            tao(burn)
        );
        return refuse("InsufficientBalance", msg, 30);
    }
    let what = Intent {
        call: SpendCall::Register,
        limit_rao: limit,
        amount_rao: 0,
        limit_price_rao: None,
    };
    let intent = match record(deps, req, signer, &reads, what).await {
        Ok(s) => s,
        Err(done) => return done,
    };
    drop(guard);
    tracing::info!(neuron = %req.owner.key(), spend = %intent.name_any(), nonce = reads.nonce, limit, "registration intent recorded; submitting");
    crate::controller::failpoint::hit("registration:before_submit");
    let call = RegisterRequest {
        netuid: req.netuid,
        hotkey: req.hotkey,
        limit_rao: limit,
        signer,
        tx: tx(&reads),
    };
    let result =
        crate::controller::failpoint::submit("registration:after_submit", chain.register(&call))
            .await;
    finish(deps, &intent, result).await
}
