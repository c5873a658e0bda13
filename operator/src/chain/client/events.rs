//! An included extrinsic's outcome, read from its own events in the inclusion block. Pure: the
//! events come in decoded (pallet, name, field values), so every rule here is unit-tested with
//! the layouts each runtime emits.
//!
//! - Result: `System.ExtrinsicFailed`, or for `Proxy.proxy` the inner call's result in
//!   `Proxy.ProxyExecuted { result }` — the proxy call itself succeeds when the inner one fails
//!   (HEAD `pallets/proxy/src/lib.rs:251-253`). A call the proxy type does not allow fails
//!   inside with `System.CallFiltered`.
//! - Fee: `TransactionPayment.TransactionFeePaid { who, actual_fee, tip }`.
//! - Burn: no subtensor event carries it (`NeuronRegistered` is (netuid, uid, hotkey)); it is
//!   the Balances event that moved the coldkey's TAO before `NeuronRegistered`:
//!   `Transfer { from: coldkey, to: subnet account }` since spec 411 (HEAD
//!   `coinbase/tao.rs:134-167`), `Withdraw { who: coldkey }` before (spec 218, 393). A fee is
//!   withdrawn first, before dispatch, so of several such events the last one is the burn.
//! - Stake: `StakeAdded` / `StakeRemoved` (coldkey, hotkey, TAO, alpha, netuid[, fee]); the fee
//!   field exists since spec 257 (HEAD `macros/events.rs:17-33`).

use subxt::ext::scale_value::{Composite, Value};
use subxt::Metadata;

use super::value::{self, variant};
use crate::chain::{AccountId, StakeMoved, TxKind, TxResult};

/// One event of the extrinsic.
#[derive(Clone, Debug)]
pub struct EventRec {
    pub pallet: String,
    pub name: String,
    pub fields: Composite<()>,
}

impl EventRec {
    /// The field named `name`, else the `pos`-th field (events with unnamed fields).
    fn get(&self, name: &str, pos: usize) -> Option<&Value<()>> {
        match &self.fields {
            Composite::Named(fs) => fs.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            Composite::Unnamed(vs) => vs.get(pos),
        }
    }

    fn is(&self, pallet: &str, name: &str) -> bool {
        self.pallet == pallet && self.name == name
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub result: TxResult,
    pub fee_rao: u64,
    pub burned_rao: u64,
    pub stake: Option<StakeMoved>,
    /// False when the call succeeded but its amount was not in the events.
    pub amounts_known: bool,
}

/// The outcome of the extrinsic whose events are `events`; `payer` is the coldkey that pays
/// (the proxy's real account when proxied).
pub fn parse(events: &[EventRec], payer: &AccountId, kind: TxKind, md: &Metadata) -> Parsed {
    let mut result = TxResult::Success;
    let mut fee = 0;
    for e in events {
        if e.is("TransactionPayment", "TransactionFeePaid") {
            fee = e.get("actual_fee", 1).and_then(value::u64_of).unwrap_or(0);
        } else if e.is("System", "ExtrinsicFailed") {
            if let Some(err) = e.get("dispatch_error", 0) {
                result = dispatch_error(err, md);
            }
        } else if e.is("Proxy", "ProxyExecuted") {
            if let Some(("Err", inner)) = e.get("result", 0).and_then(variant) {
                if let Some(err) = inner.first() {
                    result = dispatch_error(err, md);
                }
            }
        }
    }
    let mut parsed = Parsed {
        result,
        fee_rao: fee,
        burned_rao: 0,
        stake: None,
        amounts_known: true,
    };
    if parsed.result != TxResult::Success {
        return parsed;
    }
    match kind {
        TxKind::Register => match burn(events, payer) {
            Some(b) => parsed.burned_rao = b,
            None => parsed.amounts_known = false,
        },
        TxKind::AddStake | TxKind::RemoveStake => {
            let name = if kind == TxKind::AddStake {
                "StakeAdded"
            } else {
                "StakeRemoved"
            };
            parsed.stake = stake(events, payer, name);
            parsed.amounts_known = parsed.stake.is_some();
        }
        TxKind::Other => {}
    }
    parsed
}

fn account_is(v: Option<&Value<()>>, who: &AccountId) -> bool {
    v.and_then(value::account) == Some(who.0)
}

/// The amount of the last Balances Withdraw/Transfer from `payer` before `NeuronRegistered`.
fn burn(events: &[EventRec], payer: &AccountId) -> Option<u64> {
    let registered = events
        .iter()
        .position(|e| e.is("SubtensorModule", "NeuronRegistered"))?;
    events[..registered].iter().rev().find_map(|e| {
        let from_payer = (e.is("Balances", "Withdraw") && account_is(e.get("who", 0), payer))
            || (e.is("Balances", "Transfer") && account_is(e.get("from", 0), payer));
        let pos = if e.name == "Transfer" { 2 } else { 1 };
        from_payer
            .then(|| e.get("amount", pos).and_then(value::u64_of))
            .flatten()
    })
}

fn stake(events: &[EventRec], payer: &AccountId, name: &str) -> Option<StakeMoved> {
    let e = events
        .iter()
        .find(|e| e.is("SubtensorModule", name) && account_is(e.get("", 0), payer))?;
    let n = |pos| e.get("", pos).and_then(value::u64_of);
    Some(StakeMoved {
        tao_rao: n(2)?,
        alpha_rao: n(3)?,
        swap_fee_rao: n(5).unwrap_or(0),
    })
}

/// A `DispatchError` value by name: `Module { index, error }` through the metadata's pallet
/// and error variant (indices move between runtimes, names do not); other kinds by their
/// variant (`BadOrigin`, `Token.FundsUnavailable`, ...).
pub fn dispatch_error(err: &Value<()>, md: &Metadata) -> TxResult {
    let Some((kind, inner)) = variant(err) else {
        return TxResult::failed("Dispatch", "Unknown");
    };
    if kind == "Module" {
        let m = inner.first().copied();
        let index = m
            .and_then(|m| value::field(m, "index"))
            .and_then(value::uint);
        let error = m
            .and_then(|m| value::field(m, "error"))
            .and_then(value::bytes_of);
        if let (Some(i), Some(e)) = (index, error) {
            let pallet = u8::try_from(i)
                .ok()
                .and_then(|i| md.pallet_by_error_index(i));
            if let Some(p) = pallet {
                if let Some(v) = e.first().and_then(|e0| p.error_variant_by_index(*e0)) {
                    return TxResult::failed(p.name(), &v.name);
                }
            }
            return TxResult::failed("Module", &format!("Module({i}, {e:?})"));
        }
    }
    let detail = inner.first().and_then(|v| variant(v)).map(|(n, _)| n);
    let name = match detail {
        Some(d) => format!("{kind}.{d}"),
        None => kind.to_string(),
    };
    TxResult::failed("Dispatch", &name)
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
