//! HTTP face of a [`FakeChain`] (feature `fake-chain`): one `POST /chain/{method}` per `Chain`
//! method (answered `{"ok": ..}` / `{"err": ChainError}`, or HTTP 429 while rate limited), the
//! same under `/lag/{blocks}/` read from the state that many blocks ago (a lagging node of the
//! same chain), and the admin API under `/admin/` (errors are HTTP 400 `{"error": ".."}`).
//! JSON in and out; accounts as SS58 or 0x-hex.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{FakeChain, Fault, Method, ReadArgs, RegisterArgs, Reply, ServeArgs, StakeArgs};
use crate::chain::{AccountId, ChainError, SnapshotQuery};

#[path = "server_accounts.rs"]
mod accounts;
#[path = "server_network.rs"]
mod network;
use accounts::{add_proxy, coldkey_swap, set_balance, set_stake};
use network::{dissolve, emission, own_stake, register_network, swap_hotkey};

pub fn router(chain: FakeChain) -> Router {
    Router::new()
        .route("/chain/{method}", post(chain_call))
        .route("/lag/{blocks}/chain/{method}", post(lagged_call))
        .route("/admin/state", get(state))
        .route("/admin/ledger", get(ledger))
        .route("/admin/snapshot/{netuid}", get(snapshot))
        .route("/admin/account/{account}", get(account))
        .route("/admin/uid/{netuid}/{hotkey}", get(uid))
        .route("/admin/stake/{netuid}/{hotkey}/{coldkey}", get(own_stake))
        .route("/admin/calls", get(calls))
        .route("/admin/calls/reset", post(reset_calls))
        .route("/admin/advance", post(advance))
        .route("/admin/subnets/{netuid}", post(patch_subnet))
        .route("/admin/runtime", post(patch_runtime))
        .route("/admin/balance", post(set_balance))
        .route("/admin/proxy", post(add_proxy))
        .route("/admin/coldkey-swap", post(coldkey_swap))
        .route("/admin/stake", post(set_stake))
        .route("/admin/register", post(register_external))
        .route("/admin/deregister", post(deregister))
        .route("/admin/figures", post(set_figures))
        .route("/admin/emission", post(emission))
        .route("/admin/swap-hotkey", post(swap_hotkey))
        .route("/admin/dissolve", post(dissolve))
        .route("/admin/register-network", post(register_network))
        .route("/admin/faults", get(faults).post(inject_fault))
        .route("/admin/faults/clear", post(clear_faults))
        .route("/admin/unreachable", post(set_unreachable))
        .route("/admin/rate-limit", post(set_rate_limit))
        .with_state(chain)
}

/// Advances the head by one block every `period` (the server's `--block-ms`).
pub fn spawn_ticker(chain: FakeChain, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.tick().await;
        loop {
            tick.tick().await;
            chain.advance(1);
        }
    })
}

pub(super) fn json<T: Serialize>(status: StatusCode, v: &T) -> Response {
    match serde_json::to_vec(v) {
        Ok(body) => (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => bad(format!("encoding the answer: {e}")),
    }
}

fn bad(msg: String) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        &serde_json::json!({ "error": msg }),
    )
}

/// A refused request: answered HTTP 400 `{"error": ..}`.
pub(super) struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        bad(self.0)
    }
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, BadRequest> {
    let body: &[u8] = if body.is_empty() { b"{}" } else { body };
    serde_json::from_slice(body).map_err(|e| BadRequest(format!("bad request body: {e}")))
}

/// Parses the body, runs an admin action, answers 200 with its result or 400 with its error.
pub(super) fn admin<T: DeserializeOwned, R: Serialize>(
    body: &Bytes,
    f: impl FnOnce(T) -> Result<R, String>,
) -> Response {
    match parse(body).and_then(|args| f(args).map_err(BadRequest)) {
        Ok(r) => json(StatusCode::OK, &r),
        Err(e) => e.into_response(),
    }
}

fn need<T>(v: Option<T>, what: &str) -> Result<T, BadRequest> {
    v.ok_or_else(|| BadRequest(format!("missing field `{what}`")))
}

/// The call's answer; a rate-limit refusal is HTTP 429, as a provider in front of a node sends.
fn reply<T: Serialize>(r: Result<T, ChainError>) -> Response {
    match r {
        Err(ChainError::RateLimited(msg)) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            msg,
        )
            .into_response(),
        r => json(StatusCode::OK, &Reply::from(r)),
    }
}

async fn chain_call(
    State(chain): State<FakeChain>,
    Path(method): Path<Method>,
    body: Bytes,
) -> Result<Response, BadRequest> {
    dispatch(&chain, method, &body)
}

async fn lagged_call(
    State(chain): State<FakeChain>,
    Path((blocks, method)): Path<(u64, Method)>,
    body: Bytes,
) -> Result<Response, BadRequest> {
    dispatch(&chain.behind(blocks), method, &body)
}

fn dispatch(chain: &FakeChain, method: Method, body: &Bytes) -> Result<Response, BadRequest> {
    Ok(match method {
        Method::Head => reply(chain.get_head()),
        Method::Snapshot => {
            let a: ReadArgs = parse(body)?;
            let query = SnapshotQuery {
                stakes: a.stakes,
                weights: a.weights,
                mechanisms: a.mechanisms,
            };
            reply(chain.get_snapshot(need(a.netuid, "netuid")?, &query))
        }
        Method::UidOf => {
            let a: ReadArgs = parse(body)?;
            let hotkey = need(a.hotkey, "hotkey")?;
            reply(chain.get_uid_of(need(a.netuid, "netuid")?, &hotkey))
        }
        Method::FreeBalance => {
            let a: ReadArgs = parse(body)?;
            reply(chain.get_free_balance(&need(a.account, "account")?))
        }
        Method::AccountNonce => {
            let a: ReadArgs = parse(body)?;
            reply(chain.get_account_nonce(&need(a.account, "account")?))
        }
        Method::FindTx => reply(chain.get_find_tx(&parse(body)?)),
        Method::ColdkeySwap => {
            let a: ReadArgs = parse(body)?;
            reply(chain.get_coldkey_swap(&need(a.account, "account")?))
        }
        Method::Register => reply(chain.register_as(&parse::<RegisterArgs>(body)?)),
        Method::AddStake | Method::RemoveStake => {
            reply(chain.stake_as(method, &parse::<StakeArgs>(body)?))
        }
        Method::ServeAxon => reply(chain.serve_axon_as(&parse::<ServeArgs>(body)?)),
    })
}

async fn state(State(chain): State<FakeChain>) -> Response {
    json(StatusCode::OK, &chain.with_state(|s| s.clone()))
}

async fn ledger(State(chain): State<FakeChain>) -> Response {
    json(StatusCode::OK, &chain.ledger())
}

async fn snapshot(State(chain): State<FakeChain>, Path(netuid): Path<u16>) -> Response {
    match chain.with_state(|s| s.snapshot(netuid, &SnapshotQuery::default())) {
        Some(snap) => json(StatusCode::OK, &snap),
        None => bad(format!("subnet {netuid} does not exist")),
    }
}

pub(super) fn account_id(s: String) -> Result<AccountId, BadRequest> {
    serde_json::from_value(serde_json::Value::String(s))
        .map_err(|e| BadRequest(format!("account: {e}")))
}

async fn account(
    State(chain): State<FakeChain>,
    Path(account): Path<String>,
) -> Result<Response, BadRequest> {
    let id = account_id(account)?;
    Ok(json(StatusCode::OK, &chain.with_state(|s| s.account(&id))))
}

async fn uid(
    State(chain): State<FakeChain>,
    Path((netuid, hotkey)): Path<(u16, String)>,
) -> Result<Response, BadRequest> {
    let id = account_id(hotkey)?;
    let uid = chain.with_state(|s| s.uid_of(netuid, &id));
    Ok(json(StatusCode::OK, &serde_json::json!({ "uid": uid })))
}

async fn calls(State(chain): State<FakeChain>) -> Response {
    json(StatusCode::OK, &chain.calls())
}

async fn reset_calls(State(chain): State<FakeChain>) -> Response {
    json(StatusCode::OK, &chain.with_faults(|f| f.reset_counters()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    #[serde(default = "one")]
    blocks: u64,
}

fn one() -> u64 {
    1
}

#[derive(Serialize)]
struct Head {
    head: u64,
}

async fn advance(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |a: Advance| {
        Ok(Head {
            head: chain.advance(a.blocks),
        })
    })
}

async fn patch_subnet(
    State(chain): State<FakeChain>,
    Path(netuid): Path<u16>,
    body: Bytes,
) -> Response {
    admin(&body, |changes: serde_json::Value| {
        chain.with_state(|s| {
            let config = s.patch_subnet(netuid, &changes)?;
            let burn_now = config.burn_at(s.head);
            Ok(serde_json::json!({ "config": config, "burn_now": burn_now }))
        })
    })
}

async fn patch_runtime(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |changes: serde_json::Value| {
        chain.with_state(|s| s.patch_runtime(&changes))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct External {
    netuid: u16,
    hotkey: AccountId,
    #[serde(default)]
    coldkey: Option<AccountId>,
    #[serde(default)]
    bump_burn: bool,
}

async fn register_external(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |e: External| {
        let uid = chain
            .with_state(|s| s.register_external(e.netuid, e.hotkey, e.coldkey, e.bump_burn))?;
        Ok(serde_json::json!({ "uid": uid }))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Deregister {
    netuid: u16,
    hotkey: AccountId,
    #[serde(default)]
    replacement: Option<AccountId>,
}

async fn deregister(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |d: Deregister| {
        let (uid, by) = chain.with_state(|s| s.deregister(d.netuid, &d.hotkey, d.replacement))?;
        Ok(serde_json::json!({ "uid": uid, "replacement": by }))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFigures {
    netuid: u16,
    hotkey: AccountId,
    figures: serde_json::Value,
}

async fn set_figures(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |f: SetFigures| {
        chain.with_state(|s| {
            s.set_figures(f.netuid, &f.hotkey, &f.figures)?;
            let snap = s
                .snapshot(f.netuid, &SnapshotQuery::default())
                .expect("registered");
            Ok(snap.neuron_by_hotkey(&f.hotkey).cloned())
        })
    })
}

async fn faults(State(chain): State<FakeChain>) -> Response {
    json(StatusCode::OK, &chain.with_faults(|f| f.clone()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Inject {
    method: Method,
    fault: Fault,
    #[serde(default = "one_u32")]
    count: u32,
}

fn one_u32() -> u32 {
    1
}

async fn inject_fault(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |i: Inject| {
        chain.with_faults(|f| {
            f.inject(i.method, i.fault, i.count)?;
            Ok(f.queued.clone())
        })
    })
}

async fn clear_faults(State(chain): State<FakeChain>) -> Response {
    chain.with_faults(|f| f.clear());
    json(StatusCode::OK, &serde_json::json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Unreachable {
    on: bool,
}

async fn set_unreachable(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |u: Unreachable| {
        chain.with_faults(|f| f.unreachable = u.on);
        Ok(serde_json::json!({ "unreachable": u.on }))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetRateLimit {
    on: bool,
    /// The lagging views instead of the live one.
    #[serde(default)]
    lagged: bool,
}

async fn set_rate_limit(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |r: SetRateLimit| {
        Ok(chain.with_faults(|f| {
            match r.lagged {
                true => f.rate_limit.lagged = r.on,
                false => f.rate_limit.live = r.on,
            }
            f.rate_limit
        }))
    })
}
