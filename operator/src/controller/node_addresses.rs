//! Node addresses for axons exposed on a node port (HostPort, NodePort) without an explicit IP.
//! Nodes are not watched (only those the GPU agent labels are), and a node's addresses hardly
//! ever change: each is read once and kept for a while, instead of on every reconcile.

use super::error::Result;
use k8s_openapi::api::core::v1::Node;
use kube::{Api, Client};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const KEEP: Duration = Duration::from_secs(300);

/// (type, address) pairs, e.g. ("ExternalIP", "203.0.113.7").
pub type Addresses = Vec<(String, String)>;

#[derive(Default)]
pub struct NodeAddresses(Mutex<HashMap<String, (Instant, Addresses)>>);

impl NodeAddresses {
    pub async fn of(&self, client: &Client, node: &str) -> Result<Addresses> {
        if let Some((at, a)) = self.0.lock().expect("nodes lock").get(node) {
            if at.elapsed() < KEEP {
                return Ok(a.clone());
            }
        }
        let n = Api::<Node>::all(client.clone()).get_opt(node).await?;
        let addresses: Addresses = n
            .and_then(|n| n.status)
            .and_then(|s| s.addresses)
            .unwrap_or_default()
            .into_iter()
            .map(|a| (a.type_, a.address))
            .collect();
        self.0
            .lock()
            .expect("nodes lock")
            .insert(node.to_string(), (Instant::now(), addresses.clone()));
        Ok(addresses)
    }
}
