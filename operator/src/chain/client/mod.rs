//! The real [`Chain`]: subxt 0.51 over the legacy RPC backend, metadata taken from the node.
//!
//! - `connection`: endpoint list, failover, backoff, per-request timeout, counters
//! - `storage` / `neurons`: keys and typed decoding from metadata
//! - `calls`: which call (and proxy wrapping) the runtime wants
//! - `config` / `submit`: extensions, signing, inclusion and outcome

pub mod calls;
pub mod config;
pub mod connection;
pub mod errors;
pub mod metagraph;
pub mod neurons;
mod reads;
pub mod stats;
pub mod storage;
pub mod submit;

use std::sync::Arc;

use async_trait::async_trait;
use subxt_signer::sr25519::Keypair;

pub use connection::ConnectOptions;
pub use stats::{MethodStats, RequestStats};

use self::calls::{ProxyKind, RegisterPlan};
use self::connection::Connection;
use crate::chain::{
    AccountId, Chain, ChainError, RegisterRequest, ServeAxonRequest, Signer, StakeRequest,
    SubnetSnapshot, TxOutcome, TxParams, TxResult,
};

/// [`Chain`] over one ordered endpoint list.
pub struct SubxtChain {
    conn: Connection,
}

impl SubxtChain {
    /// A client for `endpoints` (tried in order). Connects lazily on the first request.
    pub fn new(endpoints: Vec<String>, opts: ConnectOptions) -> Result<Self, ChainError> {
        Ok(SubxtChain {
            conn: Connection::new(endpoints, opts)?,
        })
    }

    /// Per-(endpoint, method) request counters.
    pub fn stats(&self) -> Arc<RequestStats> {
        self.conn.stats.clone()
    }

    async fn submit(
        &self,
        method: &'static str,
        call: calls::CallSpec,
        key: &Keypair,
        tx: &TxParams,
    ) -> Result<TxOutcome, ChainError> {
        let timeout = self.conn.opts.inclusion_timeout;
        // The inclusion wait has its own timeout (→ OutcomeUnknown with the hash); the outer
        // one only guards the signing and submission round trips beyond it.
        let limit = timeout + self.conn.opts.request_timeout;
        self.conn
            .call_within(method, limit, |c| async move {
                submit::submit(&c, &call, key, tx, timeout).await
            })
            .await
    }

    async fn spend(
        &self,
        method: &'static str,
        call: calls::CallSpec,
        signer: &Signer,
        kind: ProxyKind,
        tx: &TxParams,
    ) -> Result<TxOutcome, ChainError> {
        let key = match signer {
            Signer::Key(k) => k,
            Signer::Proxy { proxy, .. } => proxy,
        };
        self.submit(method, calls::for_signer(call, signer, kind), key, tx)
            .await
    }
}

#[async_trait]
impl Chain for SubxtChain {
    async fn head(&self) -> Result<u64, ChainError> {
        self.conn
            .call("head", |c| async move { reads::head(&c).await })
            .await
    }

    async fn snapshot(&self, netuid: u16) -> Result<SubnetSnapshot, ChainError> {
        self.conn
            .call(
                "snapshot",
                |c| async move { reads::snapshot(&c, netuid).await },
            )
            .await
    }

    async fn uid_of(&self, netuid: u16, hotkey: &AccountId) -> Result<Option<u16>, ChainError> {
        let hotkey = *hotkey;
        self.conn
            .call("uid_of", |c| async move {
                reads::uid_of(&c, netuid, &hotkey).await
            })
            .await
    }

    async fn free_balance(&self, account: &AccountId) -> Result<u64, ChainError> {
        let a = *account;
        self.conn
            .call("free_balance", |c| async move {
                reads::account(&c, &a).await.map(|i| i.data.free)
            })
            .await
    }

    async fn account_nonce(&self, account: &AccountId) -> Result<u64, ChainError> {
        let a = *account;
        self.conn
            .call("account_nonce", |c| async move {
                reads::account(&c, &a).await.map(|i| i.nonce)
            })
            .await
    }

    async fn register(&self, req: &RegisterRequest<'_>) -> Result<TxOutcome, ChainError> {
        let (netuid, hotkey, limit) = (req.netuid, req.hotkey, req.limit_rao);
        let (plan, burn) = self
            .conn
            .call("register_prepare", |c| async move {
                let at = reads::best(&c).await?;
                let plan = calls::register(at.metadata_ref(), netuid, &hotkey, limit);
                let burn = reads::burn(&c, &at, netuid).await?;
                Ok((plan, burn))
            })
            .await?;
        let call = match plan {
            RegisterPlan::Atomic(call) => call,
            RegisterPlan::CheckBurnFirst(call) => {
                if burn > limit {
                    return Err(ChainError::BurnAboveLimit { burn, limit });
                }
                call
            }
        };
        let mut outcome = self
            .spend(
                "register",
                call,
                req.signer,
                ProxyKind::Registration,
                &req.tx,
            )
            .await?;
        if outcome.result == TxResult::Success {
            // The burn paid is the `Burn` in force just before the inclusion block.
            let block = outcome.block.saturating_sub(1);
            outcome.burned_rao = self
                .conn
                .call("burn_at", |c| async move {
                    reads::burn_at(&c, block, netuid).await
                })
                .await
                .unwrap_or(burn);
        }
        Ok(outcome)
    }

    async fn add_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError> {
        let call = calls::add_stake(req.netuid, &req.hotkey, req.amount_rao);
        self.spend("add_stake", call, req.signer, ProxyKind::Staking, &req.tx)
            .await
    }

    async fn remove_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError> {
        let call = calls::remove_stake(req.netuid, &req.hotkey, req.amount_rao);
        self.spend(
            "remove_stake",
            call,
            req.signer,
            ProxyKind::Staking,
            &req.tx,
        )
        .await
    }

    async fn serve_axon(&self, req: &ServeAxonRequest<'_>) -> Result<TxOutcome, ChainError> {
        let call = calls::serve_axon(req.netuid, req.version, req.ip, req.port)?;
        self.submit("serve_axon", call, req.hotkey, &req.tx).await
    }

    fn endpoint(&self) -> String {
        self.conn.endpoint()
    }
}

impl From<crate::keys::ColdkeySigner> for Signer {
    fn from(s: crate::keys::ColdkeySigner) -> Self {
        match s {
            crate::keys::ColdkeySigner::Key(k) => Signer::Key(k),
            crate::keys::ColdkeySigner::Proxy { proxy, real } => Signer::Proxy {
                proxy,
                real: AccountId(real),
            },
        }
    }
}
