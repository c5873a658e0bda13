//! Chain request metrics: every [`Chain`] call's duration and errors, by endpoint and method
//! (`tensorfleet_chain_request_duration_seconds`, `tensorfleet_chain_request_errors_total`),
//! and the block of the latest snapshot read from each endpoint (`tensorfleet_chain_head_block`).
//! Applied once per endpoint, at connection time, so the poller and the money steps are both
//! measured. Each Subnet's endpoint pool reports its endpoints' states here too
//! (`tensorfleet_chain_endpoint_state`, `..._behind_blocks`, `..._snapshots_discarded_total`).

use super::redact::redact_url;
use super::{
    AccountId, Chain, ChainError, ColdkeySwap, FindTx, FoundTx, RegisterRequest, ServeAxonRequest,
    SnapshotQuery, StakeRequest, SubnetSnapshot, TxOutcome,
};
use async_trait::async_trait;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub endpoint: String,
    pub method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestErrorLabels {
    pub endpoint: String,
    pub method: String,
    pub error: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabels {
    pub endpoint: String,
}

/// One endpoint of one Subnet's pool (Subnets sharing an endpoint see it separately).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolEndpointLabels {
    pub namespace: String,
    pub subnet: String,
    pub endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolStateLabels {
    pub namespace: String,
    pub subnet: String,
    pub endpoint: String,
    pub state: String,
}

#[derive(Clone)]
pub struct ChainMetrics {
    pub duration: Family<RequestLabels, Histogram>,
    pub errors: Family<RequestErrorLabels, Counter>,
    pub head: Family<EndpointLabels, Gauge>,
    /// 1 for the state each endpoint of a Subnet's pool is in, 0 for the others.
    pub endpoint_state: Family<PoolStateLabels, Gauge>,
    /// Blocks behind the best head the pool has seen.
    pub endpoint_behind: Family<PoolEndpointLabels, Gauge>,
    /// Snapshots from the endpoint discarded as older than the Subnet's view.
    pub snapshots_discarded: Family<PoolEndpointLabels, Counter>,
}

impl ChainMetrics {
    /// Registers under `r`, which already carries the `tensorfleet` prefix.
    pub fn register(r: &mut Registry) -> Self {
        let m = Self {
            duration: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.005, 2.0, 14))
            }),
            errors: Family::default(),
            head: Family::default(),
            endpoint_state: Family::default(),
            endpoint_behind: Family::default(),
            snapshots_discarded: Family::default(),
        };
        r.register(
            "chain_request_duration_seconds",
            "Duration of chain requests",
            m.duration.clone(),
        );
        r.register(
            "chain_request_errors",
            "Failed chain requests by error",
            m.errors.clone(),
        );
        r.register(
            "chain_head_block",
            "Block of the latest subnet snapshot read from the endpoint",
            m.head.clone(),
        );
        r.register(
            "chain_endpoint_state",
            "1 for the state (Healthy, Lagging, RateLimited, Unreachable, Failing, Unknown) of each endpoint of a Subnet's pool",
            m.endpoint_state.clone(),
        );
        r.register(
            "chain_endpoint_behind_blocks",
            "Blocks the endpoint is behind the best head its Subnet's pool has seen",
            m.endpoint_behind.clone(),
        );
        r.register(
            "chain_snapshots_discarded",
            "Snapshots from the endpoint discarded as older than the Subnet's chain view",
            m.snapshots_discarded.clone(),
        );
        m
    }
}

/// A [`Chain`] that measures every call of the inner one.
pub struct Metered {
    inner: Arc<dyn Chain>,
    metrics: ChainMetrics,
}

impl Metered {
    pub fn new(inner: Arc<dyn Chain>, metrics: ChainMetrics) -> Self {
        Self { inner, metrics }
    }

    async fn call<T>(
        &self,
        method: &str,
        fut: impl Future<Output = Result<T, ChainError>>,
    ) -> Result<T, ChainError> {
        let start = Instant::now();
        let r = fut.await;
        let endpoint = redact_url(&self.inner.endpoint());
        self.metrics
            .duration
            .get_or_create(&RequestLabels {
                endpoint: endpoint.clone(),
                method: method.into(),
            })
            .observe(start.elapsed().as_secs_f64());
        if let Err(e) = &r {
            self.metrics
                .errors
                .get_or_create(&RequestErrorLabels {
                    endpoint,
                    method: method.into(),
                    error: e.metric_label().into(),
                })
                .inc();
        }
        r
    }
}

#[async_trait]
impl Chain for Metered {
    async fn head(&self) -> Result<u64, ChainError> {
        self.call("head", self.inner.head()).await
    }
    async fn snapshot(
        &self,
        netuid: u16,
        query: &SnapshotQuery,
    ) -> Result<SubnetSnapshot, ChainError> {
        let snap = self
            .call("snapshot", self.inner.snapshot(netuid, query))
            .await?;
        let labels = EndpointLabels {
            endpoint: redact_url(&self.inner.endpoint()),
        };
        let block = i64::try_from(snap.block).unwrap_or(i64::MAX);
        let gauge = self.metrics.head.get_or_create(&labels);
        // Several Subnets may share an endpoint: the highest block read is its head.
        gauge.set(gauge.get().max(block));
        Ok(snap)
    }
    async fn uid_of(&self, netuid: u16, hotkey: &AccountId) -> Result<Option<u16>, ChainError> {
        self.call("uid_of", self.inner.uid_of(netuid, hotkey)).await
    }
    async fn free_balance(&self, account: &AccountId) -> Result<u64, ChainError> {
        self.call("free_balance", self.inner.free_balance(account))
            .await
    }
    async fn account_nonce(&self, account: &AccountId) -> Result<u64, ChainError> {
        self.call("account_nonce", self.inner.account_nonce(account))
            .await
    }
    async fn coldkey_swap(&self, account: &AccountId) -> Result<Option<ColdkeySwap>, ChainError> {
        self.call("coldkey_swap", self.inner.coldkey_swap(account))
            .await
    }
    async fn register(&self, req: &RegisterRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.call("register", self.inner.register(req)).await
    }
    async fn add_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.call("add_stake", self.inner.add_stake(req)).await
    }
    async fn remove_stake(&self, req: &StakeRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.call("remove_stake", self.inner.remove_stake(req))
            .await
    }
    async fn serve_axon(&self, req: &ServeAxonRequest<'_>) -> Result<TxOutcome, ChainError> {
        self.call("serve_axon", self.inner.serve_axon(req)).await
    }
    async fn find_tx(&self, q: &FindTx) -> Result<Option<FoundTx>, ChainError> {
        self.call("find_tx", self.inner.find_tx(q)).await
    }
    fn endpoint(&self) -> String {
        self.inner.endpoint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::fake::FakeChain;
    use prometheus_client::encoding::text::encode;

    #[tokio::test]
    async fn calls_and_errors_are_counted() {
        let mut reg = Registry::default();
        let m = ChainMetrics::register(reg.sub_registry_with_prefix("tensorfleet"));
        let chain = Metered::new(Arc::new(FakeChain::new(Default::default())), m);
        chain.head().await.unwrap();
        assert!(chain.snapshot(99, &Default::default()).await.is_err());
        let fake = FakeChain::new(
            serde_json::from_value(serde_json::json!(
            {"head": 1234, "subnets": {"1": {}}}))
            .unwrap(),
        );
        let m2 = ChainMetrics::register(&mut Registry::default());
        let metered = Metered::new(Arc::new(fake), m2.clone());
        metered.snapshot(1, &Default::default()).await.unwrap();
        let labels = EndpointLabels {
            endpoint: metered.endpoint(),
        };
        assert_eq!(m2.head.get_or_create(&labels).get(), 1234);
        let mut out = String::new();
        encode(&mut out, &reg).unwrap();
        let ep = chain.endpoint();
        for want in [
            format!("tensorfleet_chain_request_duration_seconds_count{{endpoint=\"{ep}\",method=\"head\"}} 1"),
            format!("tensorfleet_chain_request_errors_total{{endpoint=\"{ep}\",method=\"snapshot\",error=\"subnet_not_found\"}} 1"),
        ] {
            assert!(out.contains(&want), "{want} missing in\n{out}");
        }
    }
}
