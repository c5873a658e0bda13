//! The agent's only Kubernetes access: get and patch its own Node (RBAC: `get`, `patch` on
//! `nodes`; see docs/gpu-agent.md).

use super::patch::NodeView;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams};
use serde_json::Value;

/// Recorded in the Node's managedFields for what the agent writes.
pub const FIELD_MANAGER: &str = "tensorfleet-agent";

/// Errors of the agent area; `label()` is the `error` label of `tensorfleet_agent_errors_total`.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("NVML: {0}")]
    Nvml(#[from] super::nvml::NvmlError),
    /// Someone else changed the Node between our read and write (taints); retried next tick.
    #[error("node changed concurrently: {0}")]
    Conflict(String),
    #[error("Kubernetes API: {0}")]
    Kube(String),
}

impl AgentError {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Nvml(_) => "nvml",
            Self::Conflict(_) => "conflict",
            Self::Kube(_) => "kube",
        }
    }
}

impl From<kube::Error> for AgentError {
    fn from(e: kube::Error) -> Self {
        match &e {
            kube::Error::Api(s) if s.code == 409 => Self::Conflict(e.to_string()),
            _ => Self::Kube(e.to_string()),
        }
    }
}

/// Narrow access to one Node, so the loop can be tested with an in-memory Node.
#[async_trait::async_trait]
pub trait NodePatcher: Send + Sync {
    async fn get(&self) -> Result<NodeView, AgentError>;
    /// Applies a JSON merge patch.
    async fn patch(&self, patch: &Value) -> Result<(), AgentError>;
}

pub struct KubeNode {
    api: Api<Node>,
    name: String,
}

impl KubeNode {
    pub fn new(client: kube::Client, name: String) -> Self {
        Self {
            api: Api::all(client),
            name,
        }
    }
}

#[async_trait::async_trait]
impl NodePatcher for KubeNode {
    async fn get(&self) -> Result<NodeView, AgentError> {
        Ok(NodeView::from(&self.api.get(&self.name).await?))
    }
    async fn patch(&self, patch: &Value) -> Result<(), AgentError> {
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..PatchParams::default()
        };
        self.api
            .patch(&self.name, &params, &Patch::Merge(patch))
            .await?;
        Ok(())
    }
}
