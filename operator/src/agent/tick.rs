//! One agent tick: read the GPUs, update metrics, patch the Node when something changed.

use super::metrics::GpuMetrics;
use super::node::{AgentError, NodePatcher};
use super::patch::node_patch;
use super::sample::{Sample, Sampler};

/// What a tick did, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickOutcome {
    /// NVML is not usable: metrics say zero GPUs, the Node is left alone.
    NvmlUnavailable,
    /// NVML answered but the device list could not be read: nothing published.
    ReadFailed,
    Unchanged,
    Patched,
    /// Reading worked, publishing to the Node failed (logged; retried next tick).
    PatchFailed,
}

pub struct Agent {
    pub sampler: Sampler,
    pub metrics: GpuMetrics,
    pub node: std::sync::Arc<dyn NodePatcher>,
    pub taint_unhealthy: bool,
    /// Error kind of the last NVML-unavailable warning, so it is logged once, not every tick.
    warned: Option<&'static str>,
}

impl Agent {
    pub fn new(
        sampler: Sampler,
        metrics: GpuMetrics,
        node: std::sync::Arc<dyn NodePatcher>,
        taint_unhealthy: bool,
    ) -> Self {
        Self {
            sampler,
            metrics,
            node,
            taint_unhealthy,
            warned: None,
        }
    }

    /// NVML calls block (a GPU falling off the bus can stall them for seconds): on a
    /// multi-threaded runtime they leave the worker so `/metrics` keeps answering.
    fn sample(&mut self) -> Sample {
        use tokio::runtime::{Handle, RuntimeFlavor};
        match Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(|| self.sampler.sample()),
            _ => self.sampler.sample(),
        }
    }

    pub async fn tick(&mut self) -> TickOutcome {
        let snap = match self.sample() {
            Sample::Unavailable(e) => {
                if self.warned != Some(e.label()) {
                    tracing::warn!(
                        error = %e,
                        "NVML unavailable: reporting zero GPUs and leaving the node's labels alone"
                    );
                    self.warned = Some(e.label());
                }
                self.metrics.unavailable();
                return TickOutcome::NvmlUnavailable;
            }
            Sample::Failed(e) => {
                tracing::warn!(error = %e, "cannot list GPUs this tick");
                self.metrics.error(AgentError::Nvml(e).label());
                return TickOutcome::ReadFailed;
            }
            Sample::Read(s) => s,
        };
        if self.warned.take().is_some() {
            tracing::info!(gpus = snap.gpus.len(), "NVML available");
        }
        self.metrics.observe(&snap);
        let result = async {
            let view = self.node.get().await?;
            match node_patch(&view, &snap, self.taint_unhealthy) {
                Some(p) => self.node.patch(&p).await.map(|()| true),
                None => Ok(false),
            }
        }
        .await;
        match result {
            Ok(true) => {
                tracing::info!(
                    gpus = snap.present().count(),
                    healthy = snap.healthy(),
                    "node GPU labels updated"
                );
                TickOutcome::Patched
            }
            Ok(false) => TickOutcome::Unchanged,
            Err(e) => {
                tracing::warn!(error = %e, "cannot update the node");
                self.metrics.error(e.label());
                TickOutcome::PatchFailed
            }
        }
    }
}

#[cfg(test)]
#[path = "tick_tests.rs"]
mod tests;
