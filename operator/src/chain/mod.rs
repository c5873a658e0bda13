//! Everything the operator knows about and does on the Bittensor chain goes through [`Chain`].
//!
//! The trait is deliberately narrow and speaks in our own types (no Kubernetes, no subxt types),
//! so the reconcile logic can be tested against a fake that follows the real chain's rules.

pub mod cache;
pub mod client;
pub mod connect;
/// The fake chain: tests and the e2e fake-chain server only, never the shipped binary.
#[cfg(any(test, feature = "fake-chain"))]
pub mod fake;
pub mod metered;
mod outcome;
pub mod poller;
pub mod pool;
pub mod redact;
#[cfg(feature = "fake-chain")]
pub mod remote;
mod snapshot;
mod types;

pub use cache::ChainCache;
pub use connect::{connect_endpoint, ChainConnector};
pub use outcome::*;
pub use snapshot::*;
pub use types::*;

use async_trait::async_trait;

/// Read and write access to one Subtensor chain (one endpoint list).
///
/// Writes never resubmit on their own: a caller that sees an error re-reads the chain
/// (e.g. [`Chain::uid_of`], [`Chain::account_nonce`]) before deciding to try again.
#[async_trait]
pub trait Chain: Send + Sync {
    /// Current best block number.
    async fn head(&self) -> Result<u64, ChainError>;

    /// One subnet's parameters, pool and all its neurons, plus the own stake of the queried
    /// (hotkey, coldkey) pairs, read at one block in as few RPC rounds as the runtime allows.
    /// `Err(ChainError::SubnetNotFound)` when the netuid does not exist.
    async fn snapshot(
        &self,
        netuid: u16,
        query: &SnapshotQuery,
    ) -> Result<SubnetSnapshot, ChainError>;

    /// `Uids(netuid, hotkey)`: the authoritative "is it registered" read.
    async fn uid_of(&self, netuid: u16, hotkey: &AccountId) -> Result<Option<u16>, ChainError>;

    /// Free balance of an account, in rao.
    async fn free_balance(&self, account: &AccountId) -> Result<u64, ChainError>;

    /// Next nonce of an account (`System::Account.nonce`).
    async fn account_nonce(&self, account: &AccountId) -> Result<u64, ChainError>;

    /// The coldkey swap `account` has announced, if any: while one stands, the chain refuses
    /// every call of that coldkey but the swap calls (HEAD `guards/check_coldkey_swap.rs`).
    async fn coldkey_swap(&self, account: &AccountId) -> Result<Option<ColdkeySwap>, ChainError>;

    /// Register `hotkey` on `netuid` by burn, paying at most `limit_rao`.
    /// Uses `register_limit` when the runtime has it (the chain refuses atomically with
    /// `RegistrationPriceLimitExceeded`); otherwise reads `Burn` at the transaction's birth
    /// block and refuses with [`ChainError::BurnAboveLimit`] before signing when it is above.
    /// A proxy signer is checked first (its proxy type must allow the call for `real`).
    async fn register(&self, req: &RegisterRequest<'_>) -> Result<TxOutcome, ChainError>;

    /// Stake `amount_rao` TAO onto `hotkey` on `netuid` (`add_stake_limit` with a limit).
    async fn add_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError>;

    /// Unstake `amount_rao` alpha from `hotkey` on `netuid` (`remove_stake_limit` with a limit).
    async fn remove_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError>;

    /// The extrinsic `q.signer` sent with `q.nonce`, searched in blocks `q.from_block..=
    /// q.to_block`, with its outcome from its own events; `None` when no block in the range
    /// has it. How an intent whose answer was lost (a crash, a dropped connection) is resolved.
    async fn find_tx(&self, q: &FindTx) -> Result<Option<FoundTx>, ChainError>;

    /// Publish the axon endpoint of `req.hotkey` (signed by the hotkey itself, fee-free).
    async fn serve_axon(&self, req: &ServeAxonRequest<'_>) -> Result<TxOutcome, ChainError>;

    /// The endpoint currently in use (for status and metrics labels).
    fn endpoint(&self) -> String;
}
