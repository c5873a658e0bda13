//! A stake job: read the coldkey's own alpha and the price now, decide the step on its TAO
//! value under the budget lock (the daily cap from the ledger), record the intent with its price
//! bound, submit `add_stake_limit` / `remove_stake_limit`.

use super::job::{locked_ledger, record, refuse, start, tx, Done, Intent, Started};
use super::outcome::finish;
use super::{Action, Deps, Request};
use crate::api::SpendCall;
use crate::chain::{PriceLimit, StakeRequest};
use crate::decide::ledger::{self as ledger_sums, Scope};
use crate::decide::spend_pause::stake_failure_backoff;
use crate::decide::stake::{self, StakeInput, StakeStep};
use jiff::Timestamp;

pub async fn stake(deps: &Deps, req: &Request) -> Done {
    let Action::Stake {
        signer,
        target_rao,
        max_add_per_day_rao,
        allow_unstake,
        max_slippage_percent,
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
    if reads.uid.is_none() {
        return Done::Nothing;
    }
    // The own alpha and the price, read now: the target is a TAO value at this price.
    let query = crate::chain::SnapshotQuery {
        stakes: vec![(req.hotkey, signer.payer())],
        ..crate::chain::SnapshotQuery::default()
    };
    let snap = match chain.snapshot(req.netuid, &query).await {
        Ok(s) => s,
        Err(e) => return refuse("ChainReadFailed", e.to_string(), 6),
    };
    let own = snap.own_stake(&req.hotkey, &signer.payer()).unwrap_or(0);
    let Some(pool) = snap.pool.filter(|p| p.price_rao > 0) else {
        return refuse(
            "NoPoolPrice",
            "the subnet has no pool price to value and limit stake by",
            30,
        );
    };
    let (guard, spends) = match locked_ledger(deps, req).await {
        Ok(l) => l,
        Err(done) => return done,
    };
    let now = Timestamp::now();
    let records = ledger_sums::stake_records(&spends, &req.owner.neuron);
    let outcomes = records.iter().map(|r| (r.result.as_str(), r.at.as_deref()));
    if let Some((n, until)) = stake_failure_backoff(outcomes).filter(|(_, u)| now < *u) {
        let last = records
            .iter()
            .rev()
            .map(|r| r.result.as_str())
            .find(|r| !matches!(*r, "" | "Expired" | "NonceUsedElsewhere"))
            .unwrap_or_default();
        let msg = format!(
            "{n} failed stake operation(s) in a row (the last: {last}); next attempt after {until}"
        );
        let secs = now.duration_until(until).as_secs().max(1);
        return refuse("RetryBackoff", msg, secs);
    }
    let added = ledger_sums::spent_last_24h(
        &spends,
        Scope::Neuron(&req.owner.neuron, SpendCall::AddStake),
        now,
    );
    let input = StakeInput {
        target_rao: *target_rao,
        current_rao: pool.tao_value(own),
        max_add_per_day_rao: *max_add_per_day_rao,
        added_last_24h_rao: added,
        allow_unstake: *allow_unstake,
    };
    let price = pool.price_rao;
    let what = match stake::decide(&input) {
        StakeStep::Add { amount_rao } => Intent {
            call: SpendCall::AddStake,
            limit_rao: amount_rao,
            amount_rao,
            limit_price_rao: Some(stake::limit_price(price, *max_slippage_percent, true)),
        },
        StakeStep::Remove { amount_rao } => Intent {
            call: SpendCall::RemoveStake,
            limit_rao: 0,
            amount_rao: stake::alpha_for(amount_rao, price, own),
            limit_price_rao: Some(stake::limit_price(price, *max_slippage_percent, false)),
        },
        _ => return Done::ChainAhead(snap.block),
    };
    if what.call == SpendCall::AddStake && reads.free < what.amount_rao {
        let tao = crate::api::format_tao;
        let msg = format!(
            "coldkey {} has {} TAO, adding {} TAO of stake needs more",
            signer.payer(),
            tao(reads.free),
            tao(what.amount_rao)
        );
        return refuse("InsufficientBalance", msg, 30);
    }
    let (call, amount, limit_price) = (what.call, what.amount_rao, what.limit_price_rao);
    let intent = match record(deps, req, signer, &reads, what).await {
        Ok(s) => s,
        Err(done) => return done,
    };
    drop(guard);
    crate::controller::failpoint::hit("stake:before_submit");
    let r = StakeRequest {
        netuid: req.netuid,
        hotkey: req.hotkey,
        amount_rao: amount,
        limit: limit_price.map(|p| PriceLimit {
            limit_price_rao: p,
            allow_partial: false,
        }),
        signer,
        tx: tx(&reads),
    };
    let result = match call {
        SpendCall::RemoveStake => chain.remove_stake(&r).await,
        _ => chain.add_stake(&r).await,
    };
    finish(deps, &intent, result).await
}
