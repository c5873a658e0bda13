//! Admin endpoints of the fake chain's HTTP face about who holds what on a subnet: one
//! coldkey's own alpha, emission into a hotkey's stake, a coldkey's hotkey swap, subnet
//! dissolution and registration (netuid reuse).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::super::admin::DEFAULT_TAKE;
use super::super::{Call, FakeChain, TAO};
use super::{account_id, admin, json, BadRequest};
use crate::chain::AccountId;

/// `{"alpha": own, "total": hotkey total}`: what the snapshot's `own_stake` and `stake` say,
/// without counting as a chain call.
pub(super) async fn own_stake(
    State(chain): State<FakeChain>,
    Path((netuid, hotkey, coldkey)): Path<(u16, String, String)>,
) -> Result<Response, BadRequest> {
    let (hotkey, coldkey) = (account_id(hotkey)?, account_id(coldkey)?);
    let (alpha, total) = chain.with_state(|s| {
        (
            s.stake_of(netuid, &hotkey, &coldkey),
            s.total_stake(netuid, &hotkey),
        )
    });
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "alpha": alpha, "total": total }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Emission {
    netuid: u16,
    hotkey: AccountId,
    /// Miner incentive, alpha-rao: all the owner's.
    #[serde(default)]
    incentive: u64,
    /// Validator dividends, alpha-rao: the owner's take, the rest pro rata to all stakers.
    #[serde(default)]
    dividends: u64,
    /// The take, of u16::MAX.
    #[serde(default = "default_take")]
    take: u16,
}

fn default_take() -> u16 {
    DEFAULT_TAKE
}

pub(super) async fn emission(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |e: Emission| {
        chain.with_state(|s| s.emit(e.netuid, &e.hotkey, e.incentive, e.dividends, e.take))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SwapHotkey {
    coldkey: AccountId,
    hotkey: AccountId,
    new_hotkey: AccountId,
    /// One subnet; absent: all subnets.
    #[serde(default)]
    netuid: Option<u16>,
    #[serde(default)]
    keep_stake: bool,
}

/// The coldkey's own `swap_hotkey_v2` extrinsic (its nonce, the fee, the ledger): answered with
/// the outcome (a dispatch error is a 200 with `result.Failed`), 400 if the pool refuses it.
pub(super) async fn swap_hotkey(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |a: SwapHotkey| {
        let call = Call::SwapHotkey {
            hotkey: a.hotkey,
            new_hotkey: a.new_hotkey,
            netuid: a.netuid,
            keep_stake: a.keep_stake,
        };
        chain
            .with_state(|s| s.submit_as(a.coldkey, call))
            .map_err(|e| e.to_string())
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Dissolve {
    netuid: u16,
}

pub(super) async fn dissolve(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |d: Dissolve| {
        chain.with_state(|s| s.dissolve_network(d.netuid))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterNetwork {
    netuid: u16,
    coldkey: AccountId,
    hotkey: AccountId,
    #[serde(default = "default_lock")]
    lock_rao: u64,
    /// Subnet parameters to set on top of a new subnet's (keys of `SubnetConfig`).
    #[serde(default)]
    params: serde_json::Value,
}

fn default_lock() -> u64 {
    1000 * TAO
}

pub(super) async fn register_network(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |r: RegisterNetwork| {
        chain.with_state(|s| {
            s.register_network(r.netuid, r.coldkey, r.hotkey, r.lock_rao, &r.params)
        })
    })
}
