//! Test helpers shared by the agent's unit tests: readings, snapshots and an in-memory Node.

use super::fake::merge;
use super::node::{AgentError, NodePatcher};
use super::nvml::{DriverInfo, GpuReading};
use super::patch::NodeView;
use super::sample::{GpuState, Snapshot};
use crate::agent::health::Problem;
use k8s_openapi::api::core::v1::Node;
use serde_json::Value;
use std::sync::Mutex;

pub const H100: &str = "NVIDIA H100 80GB HBM3";

/// A healthy, busy H100.
pub fn reading(index: u32, uuid: &str) -> GpuReading {
    GpuReading {
        index,
        uuid: uuid.into(),
        model: H100.into(),
        memory_total_bytes: 80 << 30,
        memory_used_bytes: 60 << 30,
        temperature_celsius: Some(60),
        power_watts: Some(350.5),
        utilization: Some(0.97),
        ecc_uncorrected: Some(0),
        ecc_corrected: Some(0),
        retired_pages_pending: Some(false),
        remapped_rows_pending: Some(false),
        remapped_rows_failure: Some(false),
        throttle: vec![],
    }
}

pub fn gpu(index: u32, uuid: &str, model: &str, problems: Vec<Problem>) -> GpuState {
    GpuState {
        index,
        uuid: uuid.into(),
        model: model.into(),
        memory_total_bytes: 80 << 30,
        problems,
        reading: None,
    }
}

pub fn snapshot(gpus: Vec<GpuState>) -> Snapshot {
    Snapshot {
        driver: DriverInfo {
            driver_version: "550.54.15".into(),
            cuda_version: Some("12.4".into()),
        },
        gpus,
        xid_events: vec![],
    }
}

/// A Node held in memory; records every patch it receives.
pub struct MemNode {
    pub node: Mutex<Value>,
    pub patches: Mutex<Vec<Value>>,
}

impl MemNode {
    pub fn new(node: Value) -> Self {
        Self {
            node: Mutex::new(node),
            patches: Mutex::new(vec![]),
        }
    }
    pub fn patches(&self) -> Vec<Value> {
        self.patches.lock().unwrap().clone()
    }
    pub fn label(&self, key: &str) -> Option<String> {
        self.node.lock().unwrap()["metadata"]["labels"][key]
            .as_str()
            .map(String::from)
    }
}

#[async_trait::async_trait]
impl NodePatcher for MemNode {
    async fn get(&self) -> Result<NodeView, AgentError> {
        let node: Node = serde_json::from_value(self.node.lock().unwrap().clone()).unwrap();
        Ok(NodeView::from(&node))
    }
    async fn patch(&self, patch: &Value) -> Result<(), AgentError> {
        merge(&mut self.node.lock().unwrap(), patch);
        self.patches.lock().unwrap().push(patch.clone());
        Ok(())
    }
}
