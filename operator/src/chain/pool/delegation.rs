//! The pool as a [`Chain`]: reads through [`EndpointPool::read`] (failover among healthy
//! endpoints), writes through [`EndpointPool::write`] (one endpoint, once). A new trait method
//! is one more line here, a read or a write.

use async_trait::async_trait;

use super::EndpointPool;
use crate::chain::{
    AccountId, Chain, ChainError, ColdkeySwap, FindTx, FoundTx, RegisterRequest, ServeAxonRequest,
    SnapshotQuery, StakeRequest, SubnetSnapshot, TxOutcome,
};

#[async_trait]
impl Chain for EndpointPool {
    async fn head(&self) -> Result<u64, ChainError> {
        self.read(|c| async move { c.head().await }, |h| Some(*h))
            .await
    }
    async fn snapshot(
        &self,
        netuid: u16,
        query: &SnapshotQuery,
    ) -> Result<SubnetSnapshot, ChainError> {
        self.snapshot_from(netuid, query).await.1
    }
    async fn uid_of(&self, netuid: u16, hotkey: &AccountId) -> Result<Option<u16>, ChainError> {
        self.read(|c| async move { c.uid_of(netuid, hotkey).await }, no_head)
            .await
    }
    async fn free_balance(&self, account: &AccountId) -> Result<u64, ChainError> {
        self.read(|c| async move { c.free_balance(account).await }, no_head)
            .await
    }
    async fn account_nonce(&self, account: &AccountId) -> Result<u64, ChainError> {
        self.read(|c| async move { c.account_nonce(account).await }, no_head)
            .await
    }
    async fn coldkey_swap(&self, account: &AccountId) -> Result<Option<ColdkeySwap>, ChainError> {
        self.read(|c| async move { c.coldkey_swap(account).await }, no_head)
            .await
    }
    async fn register(&self, req: &RegisterRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.write(|c| async move { c.register(req).await }).await
    }
    async fn add_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.write(|c| async move { c.add_stake(req).await }).await
    }
    async fn remove_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.write(|c| async move { c.remove_stake(req).await })
            .await
    }
    async fn find_tx(&self, q: &FindTx) -> Result<Option<FoundTx>, ChainError> {
        self.read(|c| async move { c.find_tx(q).await }, no_head)
            .await
    }
    async fn serve_axon(&self, req: &ServeAxonRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.write(|c| async move { c.serve_axon(req).await }).await
    }
    /// The endpoint in use (the first one before any request).
    fn endpoint(&self) -> String {
        let i = self.book().current.unwrap_or(0);
        self.members[i].name.clone()
    }
}

/// For answers that show no head.
pub(super) fn no_head<T>(_: &T) -> Option<u64> {
    None
}
