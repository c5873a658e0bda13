//! The loop with fake devices and an in-memory Node: what gets patched, and when.

use super::*;
use crate::agent::fake::{FakeDevice, FakeNvml, FakeTick};
use crate::agent::health::Thresholds;
use crate::agent::metrics::GpuMetrics;
use crate::agent::nvml::{GpuReading, NvmlError, XidEvent};
use crate::agent::testutil::{reading, MemNode};
use prometheus_client::registry::Registry;
use serde_json::{json, Value};
use std::sync::Arc;

fn dev(r: GpuReading) -> FakeDevice {
    FakeDevice {
        reading: r,
        lost: false,
    }
}

fn tick_of(devices: Vec<FakeDevice>) -> FakeTick {
    FakeTick {
        devices,
        xids: vec![],
    }
}

fn two_healthy() -> FakeTick {
    tick_of(vec![dev(reading(0, "GPU-a")), dev(reading(1, "GPU-b"))])
}

fn hot() -> FakeTick {
    let mut a = reading(0, "GPU-a");
    a.temperature_celsius = Some(93);
    tick_of(vec![dev(a), dev(reading(1, "GPU-b"))])
}

struct Rig {
    agent: Agent,
    node: Arc<MemNode>,
    registry: Registry,
}

impl Rig {
    fn new(nvml: FakeNvml, taint: bool) -> Self {
        let node = Arc::new(MemNode::new(json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "n1", "resourceVersion": "1",
                         "labels": {"kubernetes.io/hostname": "n1"}},
        })));
        let mut registry = Registry::default();
        let metrics = GpuMetrics::register(&mut registry, "n1");
        let sampler = Sampler::new(Box::new(nvml), Thresholds::default());
        let agent = Agent::new(sampler, metrics, node.clone(), taint);
        Self {
            agent,
            node,
            registry,
        }
    }

    async fn ticks(&mut self, n: usize) -> Vec<TickOutcome> {
        let mut out = vec![];
        for _ in 0..n {
            out.push(self.agent.tick().await);
        }
        out
    }

    fn metrics(&self) -> String {
        let mut s = String::new();
        prometheus_client::encoding::text::encode(&mut s, &self.registry).unwrap();
        s
    }

    fn annotation(&self) -> Value {
        let node = self.node.node.lock().unwrap();
        serde_json::from_str(
            node["metadata"]["annotations"]["tensorfleet.io/gpu"]
                .as_str()
                .unwrap(),
        )
        .unwrap()
    }
}

use TickOutcome::*;

#[tokio::test]
async fn healthy_overheating_healthy() {
    // One hot read is a spike (ignored); two in a row make the GPU unhealthy.
    let script = vec![
        two_healthy(),
        two_healthy(),
        hot(),
        two_healthy(),
        hot(),
        hot(),
        hot(),
        two_healthy(),
    ];
    let mut rig = Rig::new(FakeNvml::new(script), true);

    assert_eq!(rig.ticks(2).await, [Patched, Unchanged]);
    assert_eq!(
        rig.node.label("tensorfleet.io/gpu.healthy").as_deref(),
        Some("true")
    );
    assert_eq!(
        rig.node.label("tensorfleet.io/gpu.count").as_deref(),
        Some("2")
    );
    assert_eq!(
        rig.node.label("tensorfleet.io/gpu.model").as_deref(),
        Some("NVIDIA-H100-80GB-HBM3")
    );
    assert!(rig.metrics().contains(r#"tensorfleet_gpus{node="n1"} 2"#));

    assert_eq!(
        rig.ticks(2).await,
        [Unchanged, Unchanged],
        "a one-read spike"
    );
    assert_eq!(rig.ticks(3).await, [Unchanged, Patched, Unchanged]);
    let patches = rig.node.patches();
    assert_eq!(
        patches[1]["metadata"]["labels"],
        json!({"tensorfleet.io/gpu.healthy": "false"})
    );
    assert_eq!(
        patches[1]["spec"]["taints"],
        json!([{"key": "tensorfleet.io/gpu-unhealthy", "effect": "NoSchedule"}])
    );
    assert_eq!(
        rig.annotation()["gpus"][0]["problems"],
        json!(["temperature>=90C"])
    );
    let m = rig.metrics();
    assert!(m.contains(r#"tensorfleet_gpu_healthy{node="n1",gpu="0",uuid="GPU-a",model="NVIDIA H100 80GB HBM3"} 0"#), "{m}");
    assert!(m.contains(r#"tensorfleet_gpu_temperature_celsius{node="n1",gpu="0",uuid="GPU-a",model="NVIDIA H100 80GB HBM3"} 93"#), "{m}");

    assert_eq!(
        rig.ticks(2).await,
        [Patched, Unchanged],
        "recovery counts at once"
    );
    assert_eq!(
        rig.node.label("tensorfleet.io/gpu.healthy").as_deref(),
        Some("true")
    );
    assert_eq!(rig.node.patches()[2]["spec"]["taints"], json!([]));
    assert_eq!(rig.node.patches().len(), 3);
}

#[tokio::test]
async fn gpu_disappearing_marks_node_unhealthy() {
    let mut lost = reading(1, "GPU-b");
    lost.model = String::new();
    let script = vec![
        two_healthy(),
        // GPU-b answers GpuLost (fell off the bus) ...
        tick_of(vec![
            dev(reading(0, "GPU-a")),
            FakeDevice {
                reading: lost,
                lost: true,
            },
        ]),
        // ... then NVML stops listing it at all.
        tick_of(vec![dev(reading(0, "GPU-a"))]),
    ];
    let mut rig = Rig::new(FakeNvml::new(script), false);
    assert_eq!(rig.ticks(2).await, [Patched, Patched]);
    assert_eq!(
        rig.node.label("tensorfleet.io/gpu.healthy").as_deref(),
        Some("false")
    );
    assert_eq!(
        rig.node.label("tensorfleet.io/gpu.count").as_deref(),
        Some("1")
    );
    let gpus = rig.annotation()["gpus"].clone();
    assert_eq!(gpus[1]["uuid"], "GPU-b");
    assert_eq!(
        gpus[1]["model"], "NVIDIA H100 80GB HBM3",
        "remembered from before"
    );
    assert_eq!(gpus[1]["problems"], json!(["lost"]));

    // Gone from the list entirely: same state, so no new patch, and still unhealthy.
    assert_eq!(rig.ticks(1).await, [Unchanged]);
    assert_eq!(
        rig.node.label("tensorfleet.io/gpu.healthy").as_deref(),
        Some("false")
    );
    let m = rig.metrics();
    assert!(m.contains(r#"tensorfleet_gpus{node="n1"} 1"#), "{m}");
    assert!(m.contains(r#"tensorfleet_gpu_healthy{node="n1",gpu="1",uuid="GPU-b",model="NVIDIA H100 80GB HBM3"} 0"#), "{m}");
    assert!(
        !m.contains(r#"tensorfleet_gpu_temperature_celsius{node="n1",gpu="1""#),
        "{m}"
    );
}

#[tokio::test]
async fn nvml_init_failure_leaves_node_alone() {
    let nvml = FakeNvml::failing(NvmlError::LibraryNotFound("libnvidia-ml.so.1".into()));
    let mut rig = Rig::new(nvml, true);
    let before = rig.node.node.lock().unwrap().clone();
    assert_eq!(rig.ticks(3).await, [NvmlUnavailable; 3]);
    assert!(rig.node.patches().is_empty());
    assert_eq!(*rig.node.node.lock().unwrap(), before);
    let m = rig.metrics();
    assert!(m.contains(r#"tensorfleet_gpus{node="n1"} 0"#), "{m}");
    assert!(
        m.contains(r#"tensorfleet_gpu_nvml_available{node="n1"} 0"#),
        "{m}"
    );
    assert!(!m.contains("tensorfleet_gpu_healthy{"), "{m}");
}

#[tokio::test]
async fn critical_xid_is_sticky_and_counted() {
    let mut with_xids = two_healthy();
    with_xids.xids = vec![
        XidEvent {
            uuid: "GPU-b".into(),
            xid: 79,
        },
        // An application fault (13) is counted but does not make the GPU unhealthy.
        XidEvent {
            uuid: "GPU-a".into(),
            xid: 13,
        },
    ];
    let script = vec![two_healthy(), with_xids, two_healthy()];
    let mut rig = Rig::new(FakeNvml::new(script), false);
    assert_eq!(rig.ticks(3).await, [Patched, Patched, Unchanged]);
    assert_eq!(
        rig.node.label("tensorfleet.io/gpu.healthy").as_deref(),
        Some("false")
    );
    let gpus = rig.annotation()["gpus"].clone();
    assert_eq!(gpus[0]["problems"], json!([]));
    assert_eq!(gpus[1]["problems"], json!(["xid-79"]));
    let m = rig.metrics();
    assert!(m.contains(r#"tensorfleet_gpu_xid_events_total{node="n1",gpu="1",uuid="GPU-b",model="NVIDIA H100 80GB HBM3"} 1"#), "{m}");
    assert!(m.contains(r#"tensorfleet_gpu_xid_events_total{node="n1",gpu="0",uuid="GPU-a",model="NVIDIA H100 80GB HBM3"} 1"#), "{m}");
}

#[tokio::test]
async fn ecc_errors_mark_unhealthy_and_count_deltas() {
    let ecc = |n| {
        let mut a = reading(0, "GPU-a");
        a.ecc_uncorrected = Some(n);
        tick_of(vec![dev(a)])
    };
    let mut rig = Rig::new(FakeNvml::new(vec![ecc(0), ecc(2), ecc(5)]), false);
    assert_eq!(rig.ticks(3).await, [Patched, Patched, Unchanged]);
    assert_eq!(
        rig.node.label("tensorfleet.io/gpu.healthy").as_deref(),
        Some("false")
    );
    assert_eq!(
        rig.annotation()["gpus"][0]["problems"],
        json!(["ecc-uncorrectable"])
    );
    let m = rig.metrics();
    assert!(m.contains(r#"tensorfleet_gpu_ecc_errors_total{node="n1",gpu="0",uuid="GPU-a",model="NVIDIA H100 80GB HBM3"} 5"#), "{m}");
}

#[tokio::test]
async fn no_gpus_publishes_count_zero_without_unhealthy() {
    let mut rig = Rig::new(FakeNvml::new(vec![tick_of(vec![])]), true);
    assert_eq!(rig.ticks(2).await, [Patched, Unchanged]);
    assert_eq!(
        rig.node.label("tensorfleet.io/gpu.count").as_deref(),
        Some("0")
    );
    assert_eq!(rig.node.label("tensorfleet.io/gpu.healthy"), None);
    assert_eq!(rig.node.label("tensorfleet.io/gpu.model"), None);
    assert!(rig.node.node.lock().unwrap()["spec"]["taints"].is_null());
}
