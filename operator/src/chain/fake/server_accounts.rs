//! Admin endpoints of the fake chain's HTTP face that shape accounts: balances, proxy
//! definitions, coldkey-swap announcements, any coldkey's stake.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::super::{FakeChain, ProxyGrant};
use super::admin;
use crate::chain::{AccountId, ColdkeySwap};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Balance {
    account: AccountId,
    free: u64,
    #[serde(default)]
    nonce: Option<u64>,
}

pub(super) async fn set_balance(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |b: Balance| {
        Ok(chain.with_state(|s| {
            let acct = s.account_mut(&b.account);
            acct.free = b.free;
            acct.nonce = b.nonce.unwrap_or(acct.nonce);
            acct.clone()
        }))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Proxy {
    #[serde(flatten)]
    grant: ProxyGrant,
    #[serde(default)]
    remove: bool,
}

pub(super) async fn add_proxy(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |p: Proxy| {
        Ok(chain.with_state(|s| {
            if p.remove {
                s.proxies.remove(&p.grant);
            } else {
                s.proxies.insert(p.grant);
            }
            s.proxies.clone()
        }))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ColdkeySwapArgs {
    coldkey: AccountId,
    /// None: the announcement is withdrawn.
    #[serde(default)]
    swap: Option<ColdkeySwap>,
}

pub(super) async fn coldkey_swap(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |a: ColdkeySwapArgs| {
        Ok(chain.with_state(|s| {
            match a.swap {
                Some(swap) => s.coldkey_swaps.insert(a.coldkey, swap),
                None => s.coldkey_swaps.remove(&a.coldkey),
            };
            s.coldkey_swaps.get(&a.coldkey).copied()
        }))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StakeOf {
    netuid: u16,
    hotkey: AccountId,
    coldkey: AccountId,
    alpha: u64,
}

/// Another coldkey's stake on a hotkey (a delegator), or any coldkey's alpha set directly.
pub(super) async fn set_stake(State(chain): State<FakeChain>, body: Bytes) -> Response {
    admin(&body, |a: StakeOf| {
        chain.with_state(|s| {
            s.subnet(a.netuid)
                .ok_or(format!("subnet {} does not exist", a.netuid))?;
            s.set_stake(a.netuid, &a.hotkey, &a.coldkey, a.alpha);
            Ok(s.total_stake(a.netuid, &a.hotkey))
        })
    })
}
