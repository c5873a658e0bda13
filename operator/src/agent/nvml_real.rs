//! `Nvml` on the real library through `nvml-wrapper`, which `dlopen`s `libnvidia-ml.so.1` at run
//! time: the binary builds and starts on machines without a GPU or driver.

use super::nvml::{DriverInfo, GpuReading, Nvml, NvmlError, Throttle, XidEvent};
use nvml_wrapper::bitmasks::device::ThrottleReasons;
use nvml_wrapper::enum_wrappers::device::{EccCounter, MemoryError, TemperatureSensor};
use nvml_wrapper::enums::device::SampleValue;
use nvml_wrapper::error::NvmlError as RawError;
use nvml_wrapper::event::EventSet;
use nvml_wrapper::structs::device::FieldId;
use nvml_wrapper::sys_exports::field_id::{
    NVML_FI_DEV_REMAPPED_FAILURE, NVML_FI_DEV_REMAPPED_PENDING,
};

/// The loaded library lives for the rest of the process (leaked once, on the first successful
/// init), so the XID event set can borrow it for `'static`.
#[derive(Default)]
pub struct RealNvml {
    lib: Option<&'static nvml_wrapper::Nvml>,
    xid_events: Option<EventSet<'static>>,
}

impl RealNvml {
    fn lib(&self) -> Result<&'static nvml_wrapper::Nvml, NvmlError> {
        self.lib
            .ok_or_else(|| NvmlError::Other("not initialized".into()))
    }
}

fn map_err(e: RawError) -> NvmlError {
    match e {
        RawError::LibloadingError(e) => NvmlError::LibraryNotFound(e.to_string()),
        RawError::LibraryNotFound => NvmlError::LibraryNotFound("libnvidia-ml.so.1".into()),
        RawError::DriverNotLoaded => NvmlError::DriverNotLoaded,
        RawError::NoPermission => NvmlError::NoPermission,
        RawError::GpuLost => NvmlError::GpuLost,
        RawError::NotSupported => NvmlError::NotSupported,
        other => NvmlError::Other(other.to_string()),
    }
}

/// A reading that some GPUs do not support becomes `None`; losing the GPU is still an error.
fn optional<T>(r: Result<T, RawError>) -> Result<Option<T>, NvmlError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(RawError::GpuLost) => Err(NvmlError::GpuLost),
        Err(_) => Ok(None),
    }
}

/// NVML encodes the CUDA version as 1000 * major + 10 * minor.
pub fn cuda_version_string(v: i32) -> String {
    format!("{}.{}", v / 1000, (v % 1000) / 10)
}

fn throttles(r: ThrottleReasons) -> Vec<Throttle> {
    [
        (ThrottleReasons::SW_POWER_CAP, Throttle::SwPowerCap),
        (ThrottleReasons::SW_THERMAL_SLOWDOWN, Throttle::SwThermal),
        (ThrottleReasons::HW_SLOWDOWN, Throttle::HwSlowdown),
        (ThrottleReasons::HW_THERMAL_SLOWDOWN, Throttle::HwThermal),
        (
            ThrottleReasons::HW_POWER_BRAKE_SLOWDOWN,
            Throttle::HwPowerBrake,
        ),
    ]
    .into_iter()
    .filter(|(bit, _)| r.contains(*bit))
    .map(|(_, t)| t)
    .collect()
}

/// Row-remapper pending/failure flags through the field-values API (Ampere and newer).
fn remapped_rows(dev: &nvml_wrapper::Device) -> (Option<bool>, Option<bool>) {
    let ids = [
        FieldId(NVML_FI_DEV_REMAPPED_PENDING),
        FieldId(NVML_FI_DEV_REMAPPED_FAILURE),
    ];
    let Ok(samples) = dev.field_values_for(&ids) else {
        return (None, None);
    };
    let flag = |i: usize| match samples.get(i).map(|s| s.as_ref().map(|s| &s.value)) {
        Some(Ok(Ok(SampleValue::U32(v)))) => Some(*v != 0),
        Some(Ok(Ok(SampleValue::U64(v)))) => Some(*v != 0),
        Some(Ok(Ok(SampleValue::I64(v)))) => Some(*v != 0),
        _ => None,
    };
    (flag(0), flag(1))
}

/// Registers every device for critical XID events; devices that do not support events are
/// skipped (their XIDs still show up in the kernel log, just not here).
fn register_xid_events(lib: &'static nvml_wrapper::Nvml) -> Option<EventSet<'static>> {
    use nvml_wrapper::bitmasks::event::EventTypes;
    let count = lib.device_count().ok()?;
    let mut set = lib.create_event_set().ok();
    for i in 0..count {
        let Ok(dev) = lib.device_by_index(i) else {
            continue;
        };
        // register_events consumes the set and frees it on failure: start a new one then.
        let Some(s) = set.take() else { break };
        set = match dev.register_events(EventTypes::CRITICAL_XID_ERROR, s) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(gpu = i, error = %e.error, "cannot watch XID events on this GPU");
                lib.create_event_set().ok()
            }
        };
    }
    set
}

impl Nvml for RealNvml {
    fn init(&mut self) -> Result<DriverInfo, NvmlError> {
        let lib = match self.lib {
            Some(lib) => lib,
            None => {
                let lib: &'static _ =
                    Box::leak(Box::new(nvml_wrapper::Nvml::init().map_err(map_err)?));
                self.lib = Some(lib);
                self.xid_events = register_xid_events(lib);
                lib
            }
        };
        Ok(DriverInfo {
            driver_version: lib.sys_driver_version().map_err(map_err)?,
            cuda_version: lib.sys_cuda_driver_version().ok().map(cuda_version_string),
        })
    }

    fn device_count(&mut self) -> Result<u32, NvmlError> {
        self.lib()?.device_count().map_err(map_err)
    }

    fn read_device(&mut self, index: u32) -> Result<GpuReading, NvmlError> {
        let dev = self.lib()?.device_by_index(index).map_err(map_err)?;
        let mem = dev.memory_info().map_err(map_err)?;
        let (remapped_rows_pending, remapped_rows_failure) = remapped_rows(&dev);
        Ok(GpuReading {
            index,
            uuid: dev.uuid().map_err(map_err)?,
            model: dev.name().map_err(map_err)?,
            memory_total_bytes: mem.total,
            memory_used_bytes: mem.used,
            temperature_celsius: optional(dev.temperature(TemperatureSensor::Gpu))?,
            power_watts: optional(dev.power_usage())?.map(|mw| f64::from(mw) / 1000.0),
            utilization: optional(dev.utilization_rates())?.map(|u| f64::from(u.gpu) / 100.0),
            ecc_uncorrected: optional(
                dev.total_ecc_errors(MemoryError::Uncorrected, EccCounter::Volatile),
            )?,
            ecc_corrected: optional(
                dev.total_ecc_errors(MemoryError::Corrected, EccCounter::Volatile),
            )?,
            retired_pages_pending: optional(dev.are_pages_pending_retired())?,
            remapped_rows_pending,
            remapped_rows_failure,
            throttle: optional(dev.current_throttle_reasons())?
                .map(throttles)
                .unwrap_or_default(),
        })
    }

    fn drain_xid_events(&mut self) -> Vec<XidEvent> {
        use nvml_wrapper::enums::event::XidError;
        let Some(set) = &self.xid_events else {
            return Vec::new();
        };
        let mut out = Vec::new();
        // wait(0) returns at once: Timeout when the queue is empty. Bounded against a flood.
        while out.len() < 1024 {
            let Ok(ev) = set.wait(0) else { break };
            if let (Some(XidError::Value(xid)), Ok(uuid)) = (ev.event_data, ev.device.uuid()) {
                out.push(XidEvent { uuid, xid });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuda_version_is_major_dot_minor() {
        for (raw, want) in [
            (12040, "12.4"),
            (11080, "11.8"),
            (12000, "12.0"),
            (13010, "13.1"),
        ] {
            assert_eq!(cuda_version_string(raw), want);
        }
    }

    #[test]
    fn throttle_bits_map_to_reasons() {
        let r = ThrottleReasons::HW_THERMAL_SLOWDOWN | ThrottleReasons::GPU_IDLE;
        assert_eq!(throttles(r), vec![Throttle::HwThermal]);
        assert!(throttles(ThrottleReasons::GPU_IDLE).is_empty());
    }

    #[test]
    fn missing_library_maps_to_library_not_found() {
        assert_eq!(
            map_err(RawError::LibraryNotFound),
            NvmlError::LibraryNotFound("libnvidia-ml.so.1".into())
        );
        assert_eq!(map_err(RawError::GpuLost), NvmlError::GpuLost);
    }
}
