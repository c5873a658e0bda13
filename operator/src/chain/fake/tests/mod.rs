//! Table-driven tests of the fake chain's rules, faults and wire.

mod delegation;
mod faults;
mod identity;
mod register;
#[cfg(feature = "fake-chain")]
mod remote;
#[cfg(feature = "fake-chain")]
mod remote_admin;
mod stake_pool;
mod stake_serve;
mod txpool;
#[cfg(feature = "fake-chain")]
mod views;

use super::*;
use crate::chain::{TxParams, TxResult};

pub const HEAD: u64 = 1000;
pub const NETUID: u16 = 1;
pub const FEE: u64 = 100_000;

pub fn acct(n: u8) -> AccountId {
    AccountId([n; 32])
}

pub fn keypair(n: u8) -> subxt_signer::sr25519::Keypair {
    subxt_signer::sr25519::Keypair::from_secret_key([n; 32]).expect("valid seed")
}

pub fn id_of(k: &subxt_signer::sr25519::Keypair) -> AccountId {
    AccountId(k.public_key().0)
}

/// Head 1000, subnet 1 with default parameters (burn 1 TAO set at the head), coldkey 1 funded.
pub fn genesis() -> Genesis {
    let mut g = Genesis {
        head: HEAD,
        ..Genesis::default()
    };
    // burn_block 0: the genesis head.
    g.subnets.insert(NETUID, SubnetConfig::default());
    g.balances.insert(acct(1), 10 * TAO);
    g
}

pub fn state() -> ChainState {
    ChainState::from_genesis(genesis())
}

pub fn tx(nonce: u64) -> TxParams {
    TxParams {
        nonce,
        birth_block: HEAD,
        period: 64,
    }
}

/// A submission by `signer` with its current nonce, born at the head.
pub fn signed(s: &ChainState, signer: AccountId, call: Call) -> Submission {
    Submission {
        signer,
        real: None,
        proxy_type: None,
        tx: TxParams {
            nonce: s.account(&signer).nonce,
            birth_block: s.head,
            period: 64,
        },
        call,
    }
}

pub fn register_call(netuid: u16, hotkey: AccountId, limit: u64) -> Call {
    Call::RegisterLimit {
        netuid,
        hotkey,
        limit_price: limit,
    }
}

/// The result label of an included extrinsic (`Success` or the module error name).
pub fn label(r: &Result<TxOutcome, ChainError>) -> String {
    match r {
        Ok(o) => o.result.label().to_string(),
        Err(e) => format!("Err({e})"),
    }
}

pub fn failed(error: &str) -> TxResult {
    TxResult::Failed {
        pallet: "SubtensorModule".into(),
        error: error.into(),
    }
}
