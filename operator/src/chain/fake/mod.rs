//! A fake Subtensor chain for tests: the real chain's registration, staking (pool price, fee and
//! slippage; own and delegated alpha), serving, hotkey-swap, subnet-reuse and transaction rules
//! (see `state.rs`, `dispatch.rs` and the modules they name) behind the [`Chain`] trait, with
//! fault injection. Never on a shipped path: the operator only reaches it through `fake+http://`
//! endpoints served by the `tensorfleet-fakechain` test binary (feature `fake-chain`).

pub mod admin;
pub mod config;
mod dispatch;
pub mod faults;
pub mod ledger;
pub mod network;
mod pool;
#[cfg(feature = "fake-chain")]
pub mod server;
pub mod shares;
mod spend;
mod stake;
pub mod state;
mod swap;
#[cfg(test)]
mod tests;
mod view;
pub mod wire;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;

pub use config::{Genesis, ProxyGrant, RuntimeConfig, SubnetConfig, TAO};
pub use dispatch::ip_to_u128;
pub use faults::{Fault, Faults, Method, RateLimit};
pub use ledger::{Call, LedgerEntry, LedgerOutcome, Submission};
pub use state::{ChainState, EXTERNAL_COLDKEY};
use view::History;
pub use view::{View, HISTORY_BLOCKS};
pub use wire::{ReadArgs, RegisterArgs, Reply, ServeArgs, SignerIds, StakeArgs};

use super::client::proxy::{choose, ProxyDef};
use super::{
    AccountId, Chain, ChainError, ColdkeySwap, FindTx, FoundTx, RegisterRequest, ServeAxonRequest,
    SnapshotQuery, StakeRequest, SubnetSnapshot, TxOutcome,
};

/// What an injected `Timeout` reports.
pub const INJECTED_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Inner {
    state: ChainState,
    faults: Faults,
    history: History,
}

impl Inner {
    fn advance(&mut self, blocks: u64) -> u64 {
        self.history.record(&self.state, blocks);
        self.state.advance(blocks)
    }
}

/// The in-process fake chain. Clones share one state.
#[derive(Clone, Default)]
pub struct FakeChain {
    inner: Arc<Mutex<Inner>>,
    view: View,
}

impl FakeChain {
    pub fn new(genesis: Genesis) -> Self {
        let inner = Inner {
            state: ChainState::from_genesis(genesis),
            ..Inner::default()
        };
        Self {
            inner: Arc::new(Mutex::new(inner)),
            view: View::Live,
        }
    }

    /// A handle on the same chain that reads it as a node `blocks` behind the head does.
    pub fn behind(&self, blocks: u64) -> FakeChain {
        FakeChain {
            inner: self.inner.clone(),
            view: View::Behind(blocks),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A test that panicked while holding the lock leaves a usable state behind.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admin access to the state (advance, params, balances, figures...).
    pub fn with_state<R>(&self, f: impl FnOnce(&mut ChainState) -> R) -> R {
        f(&mut self.lock().state)
    }

    /// Admin access to the fault switches and call counters.
    pub fn with_faults<R>(&self, f: impl FnOnce(&mut Faults) -> R) -> R {
        f(&mut self.lock().faults)
    }

    pub fn advance(&self, blocks: u64) -> u64 {
        self.lock().advance(blocks)
    }

    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.with_state(|s| s.ledger.clone())
    }

    pub fn calls(&self) -> BTreeMap<Method, u64> {
        self.with_faults(|f| f.calls.clone())
    }

    /// Counts the call and applies the global switch, the rate limit and any fault that stops
    /// it reaching the chain. A lagging view has only the rate limit.
    fn gate(inner: &mut Inner, view: View, m: Method) -> Result<Option<Fault>, ChainError> {
        if view != View::Live {
            inner.faults.on_lagged_call(m)?;
            return Ok(None);
        }
        let fault = if inner.faults.unreachable {
            *inner.faults.calls.entry(m).or_default() += 1;
            return Err(ChainError::Unreachable(
                "fake chain switched unreachable".into(),
            ));
        } else if inner.faults.rate_limit.live {
            // Refused in front of the node: counted, and no queued fault is used up.
            *inner.faults.calls.entry(m).or_default() += 1;
            return inner.faults.limit(true, m).map(|()| None);
        } else {
            inner.faults.on_call(m)
        };
        match fault {
            Some(Fault::Timeout) => Err(ChainError::Timeout(INJECTED_TIMEOUT)),
            Some(Fault::Disconnect) => Err(ChainError::Unreachable("injected disconnect".into())),
            other => Ok(other),
        }
    }

    fn read<T>(&self, m: Method, f: impl FnOnce(&ChainState) -> T) -> Result<T, ChainError> {
        let mut inner = self.lock();
        Self::gate(&mut inner, self.view, m)?;
        Ok(f(inner.history.state_for(&inner.state, self.view)?))
    }

    fn write(
        &self,
        m: Method,
        netuid: Option<u16>,
        build: impl FnOnce(&ChainState) -> Result<Submission, ChainError>,
    ) -> Result<TxOutcome, ChainError> {
        let mut inner = self.lock();
        let fault = Self::gate(&mut inner, self.view, m)?;
        if fault == Some(Fault::FrontRun) {
            if let Some(sn) = netuid.and_then(|n| inner.state.subnets.get_mut(&n)) {
                faults::front_run(&mut sn.config);
            }
        }
        let submission = build(&inner.state)?;
        let outcome = inner.state.submit(submission)?;
        if fault == Some(Fault::IncludedResultLost) {
            if let Some(last) = inner.state.ledger.last_mut() {
                last.result_lost = true;
            }
            return Err(ChainError::OutcomeUnknown {
                tx_hash: outcome.tx_hash,
                reason: "injected: inclusion not seen".into(),
            });
        }
        Ok(outcome)
    }

    pub fn get_head(&self) -> Result<u64, ChainError> {
        self.read(Method::Head, |s| s.head)
    }

    pub fn get_snapshot(
        &self,
        netuid: u16,
        query: &SnapshotQuery,
    ) -> Result<SubnetSnapshot, ChainError> {
        self.read(Method::Snapshot, |s| s.snapshot(netuid, query))?
            .ok_or(ChainError::SubnetNotFound(netuid))
    }

    pub fn get_uid_of(&self, netuid: u16, hotkey: &AccountId) -> Result<Option<u16>, ChainError> {
        self.read(Method::UidOf, |s| s.uid_of(netuid, hotkey))
    }

    pub fn get_free_balance(&self, account: &AccountId) -> Result<u64, ChainError> {
        self.read(Method::FreeBalance, |s| s.account(account).free)
    }

    pub fn get_account_nonce(&self, account: &AccountId) -> Result<u64, ChainError> {
        self.read(Method::AccountNonce, |s| s.account(account).nonce)
    }

    /// The ledger's included entry of (signer, nonce) within the block range: what a block scan
    /// of the real chain finds.
    pub fn get_find_tx(&self, q: &FindTx) -> Result<Option<FoundTx>, ChainError> {
        self.read(Method::FindTx, |s| s.find_tx(q))
    }

    pub fn get_coldkey_swap(&self, account: &AccountId) -> Result<Option<ColdkeySwap>, ChainError> {
        self.read(Method::ColdkeySwap, |s| {
            s.coldkey_swaps.get(account).copied()
        })
    }

    /// What the real client does before signing for a proxy key: the proxy type to force, or
    /// [`ChainError::ProxyNotAllowed`] naming what the key has (`client::proxy::choose`).
    fn proxy_type(
        s: &ChainState,
        signer: &SignerIds,
        call: &Call,
        preferred: &str,
    ) -> Result<Option<String>, ChainError> {
        let Some(real) = signer.real else {
            return Ok(None);
        };
        let defs: Vec<ProxyDef> = s
            .proxies
            .iter()
            .filter(|g| g.real == real)
            .map(|g| ProxyDef {
                delegate: g.delegate,
                proxy_type: g.proxy_type.clone(),
                delay: g.delay,
            })
            .collect();
        choose(&defs, &signer.signer, &real, call.name(), preferred)
            .map(Some)
            .map_err(ChainError::ProxyNotAllowed)
    }

    /// `register_limit` when the runtime has it; otherwise the trait's documented fallback:
    /// refuse before signing when `Burn` at the birth block is above the limit, else
    /// `burned_register`.
    pub fn register_as(&self, a: &RegisterArgs) -> Result<TxOutcome, ChainError> {
        self.write(Method::Register, Some(a.netuid), |s| {
            let call = if s.runtime.has_register_limit {
                Call::RegisterLimit {
                    netuid: a.netuid,
                    hotkey: a.hotkey,
                    limit_price: a.limit_rao,
                }
            } else {
                let birth = a.tx.birth_block;
                let burn = s.subnet(a.netuid).map(|sn| sn.config.burn_at(birth));
                if let Some(burn) = burn.filter(|b| *b > a.limit_rao) {
                    return Err(ChainError::BurnAboveLimit {
                        burn,
                        limit: a.limit_rao,
                    });
                }
                Call::BurnedRegister {
                    netuid: a.netuid,
                    hotkey: a.hotkey,
                }
            };
            let proxy = Self::proxy_type(s, &a.signer, &call, "Registration")?;
            Ok(a.signer.submission(a.tx, call, proxy))
        })
    }

    /// `add_stake(_limit)` for [`Method::AddStake`], else `remove_stake(_limit)`; without the
    /// `*_limit` calls, a limit is checked against the pool price before signing.
    pub fn stake_as(&self, m: Method, a: &StakeArgs) -> Result<TxOutcome, ChainError> {
        let (netuid, hotkey, amount) = (a.netuid, a.hotkey, a.amount_rao);
        let adding = m == Method::AddStake;
        self.write(m, Some(netuid), |s| {
            let call = match (a.limit, s.runtime.has_stake_limit, adding) {
                (Some(l), true, true) => Call::AddStakeLimit {
                    netuid,
                    hotkey,
                    amount_staked: amount,
                    limit_price: l.limit_price_rao,
                    allow_partial: l.allow_partial,
                },
                (Some(l), true, false) => Call::RemoveStakeLimit {
                    netuid,
                    hotkey,
                    amount_unstaked: amount,
                    limit_price: l.limit_price_rao,
                    allow_partial: l.allow_partial,
                },
                (limit, _, _) => {
                    let price = s.pool(netuid).map_or(0, |p| p.price_rao);
                    if let Some(l) = limit {
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
                    }
                    if adding {
                        Call::AddStake {
                            netuid,
                            hotkey,
                            amount_staked: amount,
                        }
                    } else {
                        Call::RemoveStake {
                            netuid,
                            hotkey,
                            amount_unstaked: amount,
                        }
                    }
                }
            };
            let proxy = Self::proxy_type(s, &a.signer, &call, "Staking")?;
            Ok(a.signer.submission(a.tx, call, proxy))
        })
    }

    pub fn serve_axon_as(&self, a: &ServeArgs) -> Result<TxOutcome, ChainError> {
        self.write(Method::ServeAxon, None, |_| Ok(a.submission()))
    }
}

#[async_trait]
impl Chain for FakeChain {
    async fn head(&self) -> Result<u64, ChainError> {
        self.get_head()
    }

    async fn snapshot(
        &self,
        netuid: u16,
        query: &SnapshotQuery,
    ) -> Result<SubnetSnapshot, ChainError> {
        self.get_snapshot(netuid, query)
    }

    async fn uid_of(&self, netuid: u16, hotkey: &AccountId) -> Result<Option<u16>, ChainError> {
        self.get_uid_of(netuid, hotkey)
    }

    async fn free_balance(&self, account: &AccountId) -> Result<u64, ChainError> {
        self.get_free_balance(account)
    }

    async fn account_nonce(&self, account: &AccountId) -> Result<u64, ChainError> {
        self.get_account_nonce(account)
    }

    async fn coldkey_swap(&self, account: &AccountId) -> Result<Option<ColdkeySwap>, ChainError> {
        self.get_coldkey_swap(account)
    }

    async fn register(&self, req: &RegisterRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.register_as(&RegisterArgs::from(req))
    }

    async fn add_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.stake_as(Method::AddStake, &StakeArgs::from(req))
    }

    async fn remove_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.stake_as(Method::RemoveStake, &StakeArgs::from(req))
    }

    async fn serve_axon(&self, req: &ServeAxonRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.serve_axon_as(&ServeArgs::from(req))
    }

    async fn find_tx(&self, q: &FindTx) -> Result<Option<FoundTx>, ChainError> {
        self.get_find_tx(q)
    }

    fn endpoint(&self) -> String {
        match self.view {
            View::Live => "fake://in-process".into(),
            View::Behind(n) => format!("fake://in-process/lag/{n}"),
        }
    }
}
