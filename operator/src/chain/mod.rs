//! Everything the operator knows about and does on the Bittensor chain goes through [`Chain`].
//!
//! The trait is deliberately narrow and speaks in our own types (no Kubernetes, no subxt types),
//! so the reconcile logic can be tested against a fake that follows the real chain's rules.

pub mod cache;
pub mod client;
pub mod fake;
pub mod poller;
#[cfg(feature = "fake-chain")]
pub mod remote;
mod types;

pub use cache::{connect_endpoints, ChainCache, ChainConnector, SubnetKey};
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

    /// One subnet's parameters and all its neurons, read at one block in as few RPC rounds as
    /// the runtime allows. `Err(ChainError::SubnetNotFound)` when the netuid does not exist.
    async fn snapshot(&self, netuid: u16) -> Result<SubnetSnapshot, ChainError>;

    /// `Uids(netuid, hotkey)`: the authoritative "is it registered" read.
    async fn uid_of(&self, netuid: u16, hotkey: &AccountId) -> Result<Option<u16>, ChainError>;

    /// Free balance of an account, in rao.
    async fn free_balance(&self, account: &AccountId) -> Result<u64, ChainError>;

    /// Next nonce of an account (`System::Account.nonce`).
    async fn account_nonce(&self, account: &AccountId) -> Result<u64, ChainError>;

    /// Register `hotkey` on `netuid` by burn, paying at most `limit_rao`.
    /// Uses `register_limit` when the runtime has it; otherwise reads `Burn` at the latest block
    /// and refuses with [`ChainError::BurnAboveLimit`] before signing when it is above the limit.
    async fn register(&self, req: &RegisterRequest<'_>) -> Result<TxOutcome, ChainError>;

    /// Stake `amount_rao` TAO onto `hotkey` on `netuid`.
    async fn add_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError>;

    /// Unstake `amount_rao` (alpha) from `hotkey` on `netuid`.
    async fn remove_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError>;

    /// Publish the axon endpoint of `req.hotkey` (signed by the hotkey itself, fee-free).
    async fn serve_axon(&self, req: &ServeAxonRequest<'_>) -> Result<TxOutcome, ChainError>;

    /// The endpoint currently in use (for status and metrics labels).
    fn endpoint(&self) -> String;
}
