//! Per-GPU Prometheus metrics (names agreed in the project brief).

use super::sample::{GpuState, Snapshot};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::{counter::Counter, family::Family, gauge::Gauge};
use prometheus_client::registry::Registry;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
pub struct GpuLabels {
    pub node: String,
    pub gpu: String,
    pub uuid: String,
    pub model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NodeLabels {
    pub node: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub error: String,
}

type F64Gauge = Gauge<f64, AtomicU64>;

pub struct GpuMetrics {
    node: NodeLabels,
    count: Family<NodeLabels, Gauge>,
    nvml_available: Family<NodeLabels, Gauge>,
    healthy: Family<GpuLabels, Gauge>,
    temperature: Family<GpuLabels, Gauge>,
    power: Family<GpuLabels, F64Gauge>,
    utilization: Family<GpuLabels, F64Gauge>,
    memory_used: Family<GpuLabels, Gauge>,
    memory_total: Family<GpuLabels, Gauge>,
    ecc: Family<GpuLabels, Counter>,
    xid: Family<GpuLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    /// Label sets published last tick, to drop those of GPUs that are gone.
    published: BTreeSet<GpuLabels>,
    /// Last uncorrected ECC count per UUID: NVML gives a running total, the counter gets deltas.
    last_ecc: BTreeMap<String, u64>,
}

impl GpuMetrics {
    /// Registers every family; `tensorfleet_gpus` starts at 0 before the first read.
    pub fn register(registry: &mut Registry, node: &str) -> Self {
        let m = Self {
            node: NodeLabels { node: node.into() },
            count: Family::default(),
            nvml_available: Family::default(),
            healthy: Family::default(),
            temperature: Family::default(),
            power: Family::default(),
            utilization: Family::default(),
            memory_used: Family::default(),
            memory_total: Family::default(),
            ecc: Family::default(),
            xid: Family::default(),
            errors: Family::default(),
            published: BTreeSet::new(),
            last_ecc: BTreeMap::new(),
        };
        let r = registry;
        r.register(
            "tensorfleet_gpus",
            "GPUs NVML answers for on this node",
            m.count.clone(),
        );
        r.register(
            "tensorfleet_gpu_nvml_available",
            "1 when NVML initialized",
            m.nvml_available.clone(),
        );
        r.register(
            "tensorfleet_gpu_healthy",
            "1 when the GPU has no health problem",
            m.healthy.clone(),
        );
        r.register(
            "tensorfleet_gpu_temperature_celsius",
            "GPU core temperature",
            m.temperature.clone(),
        );
        r.register(
            "tensorfleet_gpu_power_watts",
            "GPU power draw",
            m.power.clone(),
        );
        r.register(
            "tensorfleet_gpu_utilization_ratio",
            "GPU busy ratio (0-1)",
            m.utilization.clone(),
        );
        r.register(
            "tensorfleet_gpu_memory_used_bytes",
            "GPU memory in use",
            m.memory_used.clone(),
        );
        r.register(
            "tensorfleet_gpu_memory_total_bytes",
            "GPU memory installed",
            m.memory_total.clone(),
        );
        r.register(
            "tensorfleet_gpu_ecc_errors",
            "Uncorrectable ECC errors since driver load",
            m.ecc.clone(),
        );
        r.register(
            "tensorfleet_gpu_xid_events",
            "XID events seen by the agent",
            m.xid.clone(),
        );
        r.register(
            "tensorfleet_agent_errors",
            "Agent errors by area",
            m.errors.clone(),
        );
        m.count.get_or_create(&m.node).set(0);
        m.nvml_available.get_or_create(&m.node).set(0);
        m
    }

    fn labels(&self, g: &GpuState) -> GpuLabels {
        GpuLabels {
            node: self.node.node.clone(),
            gpu: g.index.to_string(),
            uuid: g.uuid.clone(),
            model: g.model.clone(),
        }
    }

    pub fn error(&self, label: &str) {
        self.errors
            .get_or_create(&ErrorLabels {
                error: label.into(),
            })
            .inc();
    }

    /// NVML unavailable: zero GPUs, and no per-GPU series.
    pub fn unavailable(&mut self) {
        self.nvml_available.get_or_create(&self.node).set(0);
        self.count.get_or_create(&self.node).set(0);
        self.retain(&BTreeSet::new());
    }

    pub fn observe(&mut self, snap: &Snapshot) {
        self.nvml_available.get_or_create(&self.node).set(1);
        self.count
            .get_or_create(&self.node)
            .set(snap.present().count() as i64);
        let mut now = BTreeSet::new();
        for g in &snap.gpus {
            let l = self.labels(g);
            self.healthy.get_or_create(&l).set(i64::from(g.healthy()));
            match &g.reading {
                Some(r) => {
                    let set = |f: &Family<GpuLabels, Gauge>, v: Option<i64>| match v {
                        Some(v) => {
                            f.get_or_create(&l).set(v);
                        }
                        None => {
                            f.remove(&l);
                        }
                    };
                    set(&self.temperature, r.temperature_celsius.map(i64::from));
                    set(&self.memory_used, i64::try_from(r.memory_used_bytes).ok());
                    set(&self.memory_total, i64::try_from(r.memory_total_bytes).ok());
                    let setf = |f: &Family<GpuLabels, F64Gauge>, v: Option<f64>| match v {
                        Some(v) => {
                            f.get_or_create(&l).set(v);
                        }
                        None => {
                            f.remove(&l);
                        }
                    };
                    setf(&self.power, r.power_watts);
                    setf(&self.utilization, r.utilization);
                    if let Some(total) = r.ecc_uncorrected {
                        let last = self.last_ecc.insert(g.uuid.clone(), total).unwrap_or(0);
                        self.ecc
                            .get_or_create(&l)
                            .inc_by(total.saturating_sub(last));
                    }
                }
                None => self.drop_readings(&l),
            }
            now.insert(l);
        }
        for ev in &snap.xid_events {
            if let Some(g) = snap.gpus.iter().find(|g| g.uuid == ev.uuid) {
                self.xid.get_or_create(&self.labels(g)).inc();
            }
        }
        self.retain(&now);
    }

    fn drop_readings(&self, l: &GpuLabels) {
        for f in [&self.temperature, &self.memory_used, &self.memory_total] {
            f.remove(l);
        }
        self.power.remove(l);
        self.utilization.remove(l);
    }

    /// Removes every series of GPUs not in `keep` (counters too: their GPU is gone).
    fn retain(&mut self, keep: &BTreeSet<GpuLabels>) {
        for l in self.published.difference(keep) {
            self.drop_readings(l);
            self.healthy.remove(l);
            self.ecc.remove(l);
            self.xid.remove(l);
        }
        self.published = keep.clone();
    }
}
