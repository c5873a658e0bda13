//! One read of every GPU through `Nvml`, with what the agent remembers between reads: GPUs seen
//! before (so a vanished one counts as lost) and critical XIDs (sticky until the agent restarts,
//! which on a DaemonSet follows the node reboot or GPU reset that clears them).

use super::health::{debounce, evaluate, is_critical_xid, Problem, Thresholds};
use super::nvml::{DriverInfo, GpuReading, Nvml, NvmlError, XidEvent};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One GPU's state after evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GpuState {
    pub index: u32,
    pub uuid: String,
    pub model: String,
    pub memory_total_bytes: u64,
    #[serde(serialize_with = "problems_as_text")]
    pub problems: Vec<Problem>,
    /// The live readings; `None` when the GPU is lost or unreadable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reading: Option<GpuReading>,
}

fn problems_as_text<S: serde::Serializer>(p: &[Problem], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(p.iter().map(|p| p.to_string()))
}

impl GpuState {
    pub fn healthy(&self) -> bool {
        self.problems.is_empty()
    }
    /// Not lost: NVML still answers for it.
    pub fn present(&self) -> bool {
        !self.problems.contains(&Problem::Lost)
    }
}

/// Everything one tick learned.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub driver: DriverInfo,
    pub gpus: Vec<GpuState>,
    /// All XID events of this tick (critical or not), for the counter.
    #[serde(skip)]
    pub xid_events: Vec<XidEvent>,
}

impl Snapshot {
    pub fn present(&self) -> impl Iterator<Item = &GpuState> {
        self.gpus.iter().filter(|g| g.present())
    }
    pub fn healthy(&self) -> bool {
        self.gpus.iter().all(GpuState::healthy)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    /// NVML could not be initialized: no library, no driver, no permission.
    Unavailable(NvmlError),
    /// Initialized, but the device list could not be read this tick.
    Failed(NvmlError),
    Read(Snapshot),
}

struct Known {
    index: u32,
    model: String,
    memory_total_bytes: u64,
}

pub struct Sampler {
    nvml: Box<dyn Nvml>,
    thresholds: Thresholds,
    driver: Option<DriverInfo>,
    known: BTreeMap<String, Known>,
    critical_xids: BTreeMap<String, BTreeSet<u64>>,
    /// Consecutive reads with a transient problem, per UUID.
    streaks: BTreeMap<String, u32>,
}

impl Sampler {
    pub fn new(nvml: Box<dyn Nvml>, thresholds: Thresholds) -> Self {
        Self {
            nvml,
            thresholds,
            driver: None,
            known: BTreeMap::new(),
            critical_xids: BTreeMap::new(),
            streaks: BTreeMap::new(),
        }
    }

    pub fn sample(&mut self) -> Sample {
        let driver = match &self.driver {
            Some(d) => d.clone(),
            None => match self.nvml.init() {
                Ok(d) => self.driver.insert(d).clone(),
                Err(e) => return Sample::Unavailable(e),
            },
        };
        let count = match self.nvml.device_count() {
            Ok(n) => n,
            Err(e) => return Sample::Failed(e),
        };
        let mut gpus = Vec::new();
        let mut seen = BTreeSet::new();
        for index in 0..count {
            let state = match self.nvml.read_device(index) {
                Ok(r) => {
                    self.remember(&r);
                    let problems = evaluate(&r, self.xids_of(&r.uuid), &self.thresholds);
                    let streak = self.streaks.get(&r.uuid).copied().unwrap_or(0);
                    let (problems, streak) = debounce(problems, streak, &self.thresholds);
                    self.streaks.insert(r.uuid.clone(), streak);
                    self.state(index, &r.uuid, problems, Some(r.clone()))
                }
                Err(e) => {
                    // Same slot as before when we know it; otherwise a placeholder id.
                    let uuid = self
                        .uuid_at(index)
                        .unwrap_or_else(|| format!("index-{index}"));
                    let problem = match e {
                        NvmlError::GpuLost => Problem::Lost,
                        _ => Problem::Unreadable,
                    };
                    tracing::warn!(gpu = index, %uuid, error = %e, "cannot read GPU");
                    self.state(index, &uuid, vec![problem], None)
                }
            };
            seen.insert(state.uuid.clone());
            gpus.push(state);
        }
        let vanished: Vec<String> = self
            .known
            .keys()
            .filter(|u| !seen.contains(*u))
            .cloned()
            .collect();
        for uuid in vanished {
            let index = self.known[&uuid].index;
            gpus.push(self.state(index, &uuid, vec![Problem::Lost], None));
        }
        gpus.sort_by(|a, b| (a.index, &a.uuid).cmp(&(b.index, &b.uuid)));

        let xid_events = self.nvml.drain_xid_events();
        for ev in xid_events.iter().filter(|e| is_critical_xid(e.xid)) {
            tracing::warn!(uuid = %ev.uuid, xid = ev.xid, "critical XID event");
            self.critical_xids
                .entry(ev.uuid.clone())
                .or_default()
                .insert(ev.xid);
            // An XID arriving after this tick's evaluation still counts now, not next tick.
            if let Some(g) = gpus.iter_mut().find(|g| g.uuid == ev.uuid) {
                if !g.problems.contains(&Problem::Xid(ev.xid)) {
                    g.problems.push(Problem::Xid(ev.xid));
                    // The order `evaluate` gives next tick, so the annotation does not change.
                    g.problems.sort();
                }
            }
        }
        Sample::Read(Snapshot {
            driver,
            gpus,
            xid_events,
        })
    }

    fn remember(&mut self, r: &GpuReading) {
        self.known.insert(
            r.uuid.clone(),
            Known {
                index: r.index,
                model: r.model.clone(),
                memory_total_bytes: r.memory_total_bytes,
            },
        );
    }

    fn xids_of(&self, uuid: &str) -> &BTreeSet<u64> {
        static NONE: BTreeSet<u64> = BTreeSet::new();
        self.critical_xids.get(uuid).unwrap_or(&NONE)
    }

    fn uuid_at(&self, index: u32) -> Option<String> {
        self.known
            .iter()
            .find(|(_, k)| k.index == index)
            .map(|(u, _)| u.clone())
    }

    fn state(
        &self,
        index: u32,
        uuid: &str,
        problems: Vec<Problem>,
        reading: Option<GpuReading>,
    ) -> GpuState {
        let known = self.known.get(uuid);
        GpuState {
            index,
            uuid: uuid.to_string(),
            model: known.map(|k| k.model.clone()).unwrap_or_default(),
            memory_total_bytes: known.map(|k| k.memory_total_bytes).unwrap_or_default(),
            problems,
            reading,
        }
    }
}
