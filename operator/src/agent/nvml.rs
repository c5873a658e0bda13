//! The narrow NVML interface the agent needs, and the readings it returns. The real library sits
//! behind it in `nvml_real`; tests (and the `fake-gpu` feature) use `fake`.

use serde::{Deserialize, Serialize};

/// What NVML can fail with, reduced to what the agent acts on. `label()` is the metric label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "detail")]
pub enum NvmlError {
    /// `libnvidia-ml.so.1` could not be loaded: no driver installed, or not mounted in the pod.
    #[error("NVML library not found ({0})")]
    LibraryNotFound(String),
    #[error("NVIDIA driver not loaded")]
    DriverNotLoaded,
    #[error("no permission to query NVML")]
    NoPermission,
    /// The device fell off the bus or is otherwise inaccessible.
    #[error("GPU lost")]
    GpuLost,
    #[error("not supported by this GPU")]
    NotSupported,
    #[error("NVML error: {0}")]
    Other(String),
}

impl NvmlError {
    pub fn label(&self) -> &'static str {
        match self {
            Self::LibraryNotFound(_) => "library_not_found",
            Self::DriverNotLoaded => "driver_not_loaded",
            Self::NoPermission => "no_permission",
            Self::GpuLost => "gpu_lost",
            Self::NotSupported => "not_supported",
            Self::Other(_) => "other",
        }
    }
}

/// Node-wide facts returned by a successful init.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriverInfo {
    pub driver_version: String,
    /// CUDA driver API version, "12.4".
    #[serde(default)]
    pub cuda_version: Option<String>,
}

/// Clock throttle reasons worth reporting (idle and application-clock settings are not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Throttle {
    /// Power draw at the configured cap: normal under full load.
    SwPowerCap,
    SwThermal,
    HwSlowdown,
    HwThermal,
    HwPowerBrake,
}

impl Throttle {
    /// Thermal and hardware slowdowns mean the GPU is not delivering what was paid for.
    pub fn is_fault(self) -> bool {
        !matches!(self, Self::SwPowerCap)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SwPowerCap => "sw-power-cap",
            Self::SwThermal => "sw-thermal",
            Self::HwSlowdown => "hw-slowdown",
            Self::HwThermal => "hw-thermal",
            Self::HwPowerBrake => "hw-power-brake",
        }
    }
}

/// One device's inventory and health readings. `None` = not supported or not readable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GpuReading {
    pub index: u32,
    pub uuid: String,
    pub model: String,
    pub memory_total_bytes: u64,
    pub memory_used_bytes: u64,
    pub temperature_celsius: Option<u32>,
    pub power_watts: Option<f64>,
    /// GPU busy ratio, 0.0..=1.0.
    pub utilization: Option<f64>,
    /// Volatile (since driver load) ECC counts.
    pub ecc_uncorrected: Option<u64>,
    pub ecc_corrected: Option<u64>,
    /// Pages waiting for retirement (pre-Ampere) until the next reset.
    pub retired_pages_pending: Option<bool>,
    /// Rows waiting for remapping (Ampere and newer) until the next reset.
    pub remapped_rows_pending: Option<bool>,
    /// The row remapper ran out of spare rows.
    pub remapped_rows_failure: Option<bool>,
    pub throttle: Vec<Throttle>,
}

/// A critical XID event delivered by NVML's event set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct XidEvent {
    pub uuid: String,
    pub xid: u64,
}

/// The NVML operations the agent uses. Calls are blocking (the real library is synchronous).
pub trait Nvml: Send {
    /// Loads and initializes the library. Retried each tick until it succeeds.
    fn init(&mut self) -> Result<DriverInfo, NvmlError>;
    fn device_count(&mut self) -> Result<u32, NvmlError>;
    fn read_device(&mut self, index: u32) -> Result<GpuReading, NvmlError>;
    /// Critical XID events since the last call (non-blocking).
    fn drain_xid_events(&mut self) -> Vec<XidEvent>;
}
