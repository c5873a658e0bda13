//! Scripted fake devices, for unit tests and (cargo feature `fake-gpu`, off by default) for the
//! end-to-end test's `--fake-devices FILE`. Never compiled into the shipped binary.
//!
//! Each `device_count` call starts the next tick of the script; the last tick repeats (its
//! readings, not its XID events).
//! JSON shape (camelCase):
//! `{"driver": {"driverVersion": "550.54.15", "cudaVersion": "12.4"}, "initError": null,
//!   "ticks": [{"devices": [{"index": 0, "uuid": "GPU-0", "model": "NVIDIA H100", "lost": false,
//!   "temperatureCelsius": 60, ...}], "xids": [{"uuid": "GPU-0", "xid": 79}]}]}`

use super::nvml::{DriverInfo, GpuReading, Nvml, NvmlError, XidEvent};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FakeDevice {
    #[serde(flatten)]
    pub reading: GpuReading,
    /// Reads of this device fail with `GpuLost` (fell off the bus).
    pub lost: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FakeTick {
    pub devices: Vec<FakeDevice>,
    pub xids: Vec<XidEvent>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FakeNvml {
    pub driver: DriverInfo,
    /// When set, every `init` fails with it (no library, no driver).
    pub init_error: Option<NvmlError>,
    pub ticks: Vec<FakeTick>,
    #[serde(skip)]
    next: usize,
    #[serde(skip)]
    current: FakeTick,
}

impl FakeNvml {
    pub fn new(ticks: Vec<FakeTick>) -> Self {
        Self {
            driver: DriverInfo {
                driver_version: "550.54.15".into(),
                cuda_version: Some("12.4".into()),
            },
            ticks,
            ..Self::default()
        }
    }

    pub fn failing(err: NvmlError) -> Self {
        Self {
            init_error: Some(err),
            ..Self::default()
        }
    }
}

impl Nvml for FakeNvml {
    fn init(&mut self) -> Result<DriverInfo, NvmlError> {
        match &self.init_error {
            Some(e) => Err(e.clone()),
            None => Ok(self.driver.clone()),
        }
    }

    fn device_count(&mut self) -> Result<u32, NvmlError> {
        let last = self.ticks.len().saturating_sub(1);
        self.current = self
            .ticks
            .get(self.next.min(last))
            .cloned()
            .unwrap_or_default();
        if self.next > last {
            // The last tick repeats its readings, not its events.
            self.current.xids.clear();
        }
        self.next += 1;
        Ok(self.current.devices.len() as u32)
    }

    fn read_device(&mut self, index: u32) -> Result<GpuReading, NvmlError> {
        match self.current.devices.get(index as usize) {
            Some(d) if d.lost => Err(NvmlError::GpuLost),
            Some(d) => Ok(GpuReading {
                index,
                ..d.reading.clone()
            }),
            None => Err(NvmlError::Other(format!("no device at index {index}"))),
        }
    }

    fn drain_xid_events(&mut self) -> Vec<XidEvent> {
        std::mem::take(&mut self.current.xids)
    }
}

/// Applies an RFC 7396 JSON merge patch as the API server does, for in-memory Nodes in tests.
pub fn merge(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (_, Some(_)) => {
            *target = Value::Object(Default::default());
            merge(target, patch);
        }
        _ => *target = patch.clone(),
    }
}

/// A `FakeNvml` read from a JSON file, re-read every tick so a test can change the devices while
/// the agent runs (a changed file restarts its script from the first tick).
#[cfg(feature = "fake-gpu")]
pub struct FakeFile {
    path: std::path::PathBuf,
    text: String,
    script: FakeNvml,
}

#[cfg(feature = "fake-gpu")]
impl FakeFile {
    pub fn open(path: std::path::PathBuf) -> anyhow::Result<Self> {
        let mut f = Self {
            path,
            text: String::new(),
            script: FakeNvml::default(),
        };
        f.reload()?;
        Ok(f)
    }

    fn reload(&mut self) -> anyhow::Result<()> {
        use anyhow::Context;
        let text = std::fs::read_to_string(&self.path)
            .with_context(|| format!("reading {}", self.path.display()))?;
        if text != self.text {
            self.script = serde_json::from_str(&text)
                .with_context(|| format!("parsing fake devices {}", self.path.display()))?;
            self.text = text;
        }
        Ok(())
    }
}

#[cfg(feature = "fake-gpu")]
impl Nvml for FakeFile {
    fn init(&mut self) -> Result<DriverInfo, NvmlError> {
        self.reload()
            .map_err(|e| NvmlError::Other(format!("{e:#}")))?;
        self.script.init()
    }
    fn device_count(&mut self) -> Result<u32, NvmlError> {
        if let Err(e) = self.reload() {
            // A half-written file: keep the previous script for this tick.
            tracing::warn!(error = %format!("{e:#}"), "fake devices not reloaded");
        }
        self.script.device_count()
    }
    fn read_device(&mut self, index: u32) -> Result<GpuReading, NvmlError> {
        self.script.read_device(index)
    }
    fn drain_xid_events(&mut self) -> Vec<XidEvent> {
        self.script.drain_xid_events()
    }
}

#[cfg(all(test, feature = "fake-gpu"))]
mod tests {
    use super::*;

    #[test]
    fn fake_file_follows_rewrites() {
        let path = std::env::temp_dir().join(format!("tf-fake-gpus-{}.json", std::process::id()));
        let write = |temp: u32| {
            let json = format!(
                r#"{{"ticks": [{{"devices": [{{"uuid": "GPU-a", "temperatureCelsius": {temp}}}]}}]}}"#
            );
            std::fs::write(&path, json).unwrap();
        };
        write(60);
        let mut f = FakeFile::open(path.clone()).unwrap();
        f.init().unwrap();
        assert_eq!(f.device_count(), Ok(1));
        assert_eq!(f.read_device(0).unwrap().temperature_celsius, Some(60));
        write(95);
        assert_eq!(f.device_count(), Ok(1));
        assert_eq!(f.read_device(0).unwrap().temperature_celsius, Some(95));
        std::fs::write(&path, "{half").unwrap();
        assert_eq!(
            f.device_count(),
            Ok(1),
            "a broken rewrite keeps the last script"
        );
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod format_tests {
    use super::*;
    use crate::agent::nvml::Throttle;

    /// The file format documented in docs/gpu-agent.md.
    #[test]
    fn documented_json_parses() {
        let mut f: FakeNvml = serde_json::from_str(
            r#"{"driver": {"driverVersion": "550.54.15", "cudaVersion": "12.4"},
                "initError": null,
                "ticks": [{"devices": [{"uuid": "GPU-a", "model": "NVIDIA H100 80GB HBM3",
                  "memoryTotalBytes": 85899345920, "temperatureCelsius": 60,
                  "eccUncorrected": 0, "lost": false, "throttle": ["hw-thermal"]}],
                  "xids": [{"uuid": "GPU-a", "xid": 79}]}]}"#,
        )
        .unwrap();
        assert_eq!(f.init().unwrap().cuda_version.as_deref(), Some("12.4"));
        assert_eq!(f.device_count(), Ok(1));
        let r = f.read_device(0).unwrap();
        assert_eq!(
            (r.temperature_celsius, r.throttle),
            (Some(60), vec![Throttle::HwThermal])
        );
        assert_eq!(
            f.drain_xid_events(),
            vec![XidEvent {
                uuid: "GPU-a".into(),
                xid: 79
            }]
        );
        assert!(f.drain_xid_events().is_empty(), "events are delivered once");
        assert_eq!(f.device_count(), Ok(1), "the last tick repeats");
        assert!(f.drain_xid_events().is_empty(), "without its events");

        let mut absent: FakeNvml = serde_json::from_str(
            r#"{"initError": {"kind": "libraryNotFound", "detail": "libnvidia-ml.so.1"}}"#,
        )
        .unwrap();
        assert_eq!(
            absent.init(),
            Err(NvmlError::LibraryNotFound("libnvidia-ml.so.1".into()))
        );
        let driver: FakeNvml =
            serde_json::from_str(r#"{"initError": {"kind": "driverNotLoaded"}}"#).unwrap();
        assert_eq!(driver.init_error, Some(NvmlError::DriverNotLoaded));
    }
}
