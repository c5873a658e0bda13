//! A pool's series in the chain metrics: each endpoint's state and lag, and the snapshots of it
//! the cache discarded. Removed when the pool goes (its Subnet was deleted or reconfigured).

use super::health::EndpointState;
use crate::chain::metered::{ChainMetrics, PoolEndpointLabels, PoolStateLabels};

pub struct PoolGauges {
    metrics: ChainMetrics,
    namespace: String,
    subnet: String,
    endpoints: Vec<String>,
}

impl PoolGauges {
    pub fn new(metrics: ChainMetrics, namespace: &str, subnet: &str, endpoints: &[String]) -> Self {
        let g = PoolGauges {
            metrics,
            namespace: namespace.into(),
            subnet: subnet.into(),
            endpoints: endpoints.to_vec(),
        };
        for e in endpoints {
            g.set(e, EndpointState::Unknown, 0);
        }
        g
    }

    fn labels(&self, endpoint: &str) -> PoolEndpointLabels {
        PoolEndpointLabels {
            namespace: self.namespace.clone(),
            subnet: self.subnet.clone(),
            endpoint: endpoint.into(),
        }
    }

    fn state_labels(&self, endpoint: &str, state: EndpointState) -> PoolStateLabels {
        PoolStateLabels {
            namespace: self.namespace.clone(),
            subnet: self.subnet.clone(),
            endpoint: endpoint.into(),
            state: state.as_str().into(),
        }
    }

    /// Every state's series exists, so a query for "not Healthy" sees the 0s too.
    pub fn set(&self, endpoint: &str, state: EndpointState, behind: u64) {
        for s in EndpointState::ALL {
            self.metrics
                .endpoint_state
                .get_or_create(&self.state_labels(endpoint, s))
                .set(i64::from(s == state));
        }
        self.metrics
            .endpoint_behind
            .get_or_create(&self.labels(endpoint))
            .set(i64::try_from(behind).unwrap_or(i64::MAX));
    }

    pub fn discarded(&self, endpoint: &str) {
        self.metrics
            .snapshots_discarded
            .get_or_create(&self.labels(endpoint))
            .inc();
    }
}

impl Drop for PoolGauges {
    fn drop(&mut self) {
        for e in &self.endpoints {
            for s in EndpointState::ALL {
                self.metrics.endpoint_state.remove(&self.state_labels(e, s));
            }
            self.metrics.endpoint_behind.remove(&self.labels(e));
            self.metrics.snapshots_discarded.remove(&self.labels(e));
        }
    }
}
