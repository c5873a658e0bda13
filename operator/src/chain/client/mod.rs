//! The real [`Chain`]: subxt 0.51 over the legacy RPC backend, metadata taken from the node.
//!
//! - `connection`: endpoint list, failover, backoff, per-request timeout, counters
//! - `storage`, `value`, `neurons`, `metagraph`, `stake`, `subnet`: keys and decoding from metadata
//! - `calls`, `proxy`: which call (and proxy wrapping) the runtime wants and allows
//! - `config`, `submit`, `events`, `rejection`: extensions, signing, inclusion and outcome

pub mod calls;
pub mod config;
pub mod connection;
pub mod errors;
pub mod events;
mod find;
pub mod metagraph;
pub mod neurons;
pub mod proxy;
mod reads;
pub mod rejection;
pub mod stake;
pub mod stats;
pub mod storage;
pub mod submit;
mod subnet;
pub mod value;

use std::sync::Arc;

use async_trait::async_trait;
use subxt_signer::sr25519::Keypair;

pub use connection::ConnectOptions;
pub use stats::{MethodStats, RequestStats};

use self::calls::{CallSpec, ProxyKind, RegisterPlan, StakePlan};
use self::connection::Connection;
use self::submit::Expect;
use crate::chain::TxKind;
use crate::chain::{
    AccountId, Chain, ChainError, ColdkeySwap, FindTx, FoundTx, RegisterRequest, ServeAxonRequest,
    Signer, SnapshotQuery, StakeRequest, SubnetSnapshot, TxOutcome, TxParams,
};

/// [`Chain`] over one ordered endpoint list.
pub struct SubxtChain {
    conn: Connection,
    once: subnet::Once,
}

impl SubxtChain {
    /// A client for `endpoints` (tried in order). Connects lazily on the first request.
    pub fn new(endpoints: Vec<String>, opts: ConnectOptions) -> Result<Self, ChainError> {
        Ok(SubxtChain {
            conn: Connection::new(endpoints, opts)?,
            once: subnet::Once::default(),
        })
    }

    /// Per-(endpoint, method) request counters.
    pub fn stats(&self) -> Arc<RequestStats> {
        self.conn.stats.clone()
    }

    /// Signs and submits any call as `key`, waiting for its inclusion: no cap, no proxy check.
    /// For tools and tests that set a chain up (transfers, proxy definitions); the operator's
    /// spending goes through the [`Chain`] methods only.
    pub async fn submit_signed(
        &self,
        call: CallSpec,
        key: &Keypair,
        tx: &TxParams,
    ) -> Result<TxOutcome, ChainError> {
        let expect = Expect {
            payer: AccountId(key.public_key().0),
            kind: TxKind::Other,
        };
        self.submit("submit_signed", call, key, tx, expect).await
    }

    async fn submit(
        &self,
        method: &'static str,
        call: CallSpec,
        key: &Keypair,
        tx: &TxParams,
        expect: Expect,
    ) -> Result<TxOutcome, ChainError> {
        let timeout = self.conn.opts.inclusion_timeout;
        // The inclusion wait has its own timeout (→ OutcomeUnknown with the hash); the outer
        // one only guards the signing and submission round trips beyond it.
        let limit = timeout + self.conn.opts.request_timeout;
        self.conn
            .call_within(method, limit, |c| async move {
                submit::submit(&c, &call, key, tx, timeout, expect).await
            })
            .await
    }

    /// The call as `signer` submits it. A proxy key is checked against the real account's
    /// proxy definitions first: a call the chain would filter is refused here, unsigned.
    async fn as_signer(
        &self,
        call: CallSpec,
        signer: &Signer,
        kind: ProxyKind,
    ) -> Result<CallSpec, ChainError> {
        let Signer::Proxy { proxy, real } = signer else {
            return Ok(call);
        };
        let (delegate, real) = (AccountId(proxy.public_key().0), *real);
        let defs = self
            .conn
            .call("proxies", |c| async move {
                let at = reads::best(&c).await?;
                reads::proxies(&c, &at, &real).await
            })
            .await?;
        let proxy_type = proxy::choose(&defs, &delegate, &real, call.call, kind.name())
            .map_err(ChainError::ProxyNotAllowed)?;
        Ok(calls::for_signer(call, signer, &proxy_type))
    }

    async fn spend(
        &self,
        method: &'static str,
        call: CallSpec,
        signer: &Signer,
        kind: ProxyKind,
        tx: &TxParams,
        expect: TxKind,
    ) -> Result<TxOutcome, ChainError> {
        let key = match signer {
            Signer::Key(k) => k,
            Signer::Proxy { proxy, .. } => proxy,
        };
        let call = self.as_signer(call, signer, kind).await?;
        let expect = Expect {
            payer: signer.payer(),
            kind: expect,
        };
        self.submit(method, call, key, tx, expect).await
    }

    /// Builds a stake call and, where the runtime has no `*_limit` call, checks the price at
    /// the transaction's birth block against the limit (adding: at most; removing: at least).
    async fn stake_call(
        &self,
        req: &StakeRequest<'_>,
        adding: bool,
    ) -> Result<CallSpec, ChainError> {
        let (netuid, hotkey, amount, limit, birth) = (
            req.netuid,
            req.hotkey,
            req.amount_rao,
            req.limit,
            req.tx.birth_block,
        );
        let (plan, price) = self
            .conn
            .call("stake_prepare", |c| async move {
                let at = reads::at_number(&c, birth).await?;
                let md = at.metadata_ref();
                let plan = if adding {
                    calls::add_stake(md, netuid, &hotkey, amount, limit)
                } else {
                    calls::remove_stake(md, netuid, &hotkey, amount, limit)
                };
                let price = match &plan {
                    StakePlan::CheckPriceFirst(..) => {
                        Some(reads::alpha_price(&c, &at, netuid).await?)
                    }
                    StakePlan::Atomic(_) => None,
                };
                Ok((plan, price))
            })
            .await?;
        match (plan, price) {
            (StakePlan::Atomic(call), _) => Ok(call),
            (StakePlan::CheckPriceFirst(call, l), Some(price)) => {
                let beyond = if adding {
                    price > l.limit_price_rao
                } else {
                    price < l.limit_price_rao
                };
                if beyond {
                    return Err(ChainError::PriceBeyondLimit {
                        price,
                        limit: l.limit_price_rao,
                    });
                }
                Ok(call)
            }
            (StakePlan::CheckPriceFirst(..), None) => {
                Err(ChainError::Other("stake price was not read".into()))
            }
        }
    }
}

#[async_trait]
impl Chain for SubxtChain {
    async fn head(&self) -> Result<u64, ChainError> {
        self.conn
            .call("head", |c| async move { reads::head(&c).await })
            .await
    }

    async fn snapshot(
        &self,
        netuid: u16,
        query: &SnapshotQuery,
    ) -> Result<SubnetSnapshot, ChainError> {
        let once = &self.once;
        self.conn
            .call("snapshot", |c| async move {
                subnet::snapshot(&c, netuid, query, once).await
            })
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

    async fn coldkey_swap(&self, account: &AccountId) -> Result<Option<ColdkeySwap>, ChainError> {
        let a = *account;
        self.conn
            .call("coldkey_swap", |c| async move {
                reads::coldkey_swap(&c, &a).await
            })
            .await
    }

    async fn register(&self, req: &RegisterRequest<'_>) -> Result<TxOutcome, ChainError> {
        let (netuid, hotkey, limit, birth) =
            (req.netuid, req.hotkey, req.limit_rao, req.tx.birth_block);
        // The call and the burn are read at the block the transaction is built on.
        let (plan, burn) = self
            .conn
            .call("register_prepare", |c| async move {
                let at = reads::at_number(&c, birth).await?;
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
        let (signer, tx) = (req.signer, &req.tx);
        self.spend(
            "register",
            call,
            signer,
            ProxyKind::Registration,
            tx,
            TxKind::Register,
        )
        .await
    }

    async fn add_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError> {
        let call = self.stake_call(req, true).await?;
        let (signer, tx) = (req.signer, &req.tx);
        self.spend(
            "add_stake",
            call,
            signer,
            ProxyKind::Staking,
            tx,
            TxKind::AddStake,
        )
        .await
    }

    async fn remove_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError> {
        let call = self.stake_call(req, false).await?;
        let (signer, tx) = (req.signer, &req.tx);
        self.spend(
            "remove_stake",
            call,
            signer,
            ProxyKind::Staking,
            tx,
            TxKind::RemoveStake,
        )
        .await
    }

    async fn find_tx(&self, q: &FindTx) -> Result<Option<FoundTx>, ChainError> {
        // Up to a mortal window of blocks: longer than one request may take.
        let limit = self.conn.opts.inclusion_timeout + self.conn.opts.request_timeout;
        let q = *q;
        self.conn
            .call_within(
                "find_tx",
                limit,
                |c| async move { find::find(&c, &q).await },
            )
            .await
    }

    async fn serve_axon(&self, req: &ServeAxonRequest<'_>) -> Result<TxOutcome, ChainError> {
        let call = calls::serve_axon(req.netuid, req.version, req.ip, req.port)?;
        let expect = Expect {
            payer: AccountId(req.hotkey.public_key().0),
            kind: TxKind::Other,
        };
        self.submit("serve_axon", call, req.hotkey, &req.tx, expect)
            .await
    }

    fn endpoint(&self) -> String {
        self.conn.endpoint()
    }
}
