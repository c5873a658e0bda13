//! Pure health evaluation of one GPU's readings: which problems make it unfit to mine on.

use super::nvml::{GpuReading, Throttle};
use std::collections::BTreeSet;

/// XIDs that mean the GPU needs a reset or replacement (NVIDIA "XID Errors" guide). Left out on
/// purpose: 13, 31, 43, 45, 68, 109 and similar, which an application bug or a killed process
/// causes on healthy hardware; flagging them would let one bad miner image evict itself forever.
/// - 48: double-bit (uncorrectable) ECC error.
/// - 62: internal micro-controller halt.
/// - 63: ECC page retirement / row remap recorded (pending until reset).
/// - 64: ECC page retirement / row remapper recording failure.
/// - 74: NVLink error (link down; multi-GPU work fails).
/// - 79: GPU has fallen off the bus.
/// - 92: high single-bit ECC error rate.
/// - 94: contained ECC error (affected contexts killed; reset to clear).
/// - 95: uncontained ECC error (every context on the GPU affected).
pub const CRITICAL_XIDS: &[u64] = &[48, 62, 63, 64, 74, 79, 92, 94, 95];

pub fn is_critical_xid(xid: u64) -> bool {
    CRITICAL_XIDS.contains(&xid)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// At or above this core temperature the GPU counts as overheating.
    pub max_temperature_celsius: u32,
    /// Consecutive reads a transient problem (heat, throttling) must persist before it counts:
    /// a brief spike should not cost a miner its pod. Hardware faults count at once.
    pub transient_reads: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        // Data-centre parts start slowing down around 85-90 C; consumer parts later.
        Self {
            max_temperature_celsius: 90,
            transient_reads: 2,
        }
    }
}

/// Why a GPU is unhealthy. `Display` is short and stable (it lands in the Node annotation, which
/// must not change on every tick, so no live values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Problem {
    /// Seen before, now missing or answering `GpuLost`.
    Lost,
    /// Present but NVML could not read it.
    Unreadable,
    Overheating {
        limit: u32,
    },
    EccUncorrectable,
    RetiredPagesPending,
    RemappedRowsPending,
    RemappedRowsFailure,
    Xid(u64),
    Throttling(Throttle),
}

impl Problem {
    /// Conditions that come and go with load and cooling, unlike hardware faults.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Overheating { .. } | Self::Throttling(_))
    }
}

/// Keeps transient problems only once they were seen on `transient_reads` consecutive reads.
/// `streak` is the count of consecutive reads with a transient problem before this one; returns
/// the problems that count and the new streak.
pub fn debounce(problems: Vec<Problem>, streak: u32, t: &Thresholds) -> (Vec<Problem>, u32) {
    let streak = if problems.iter().any(Problem::is_transient) {
        streak.saturating_add(1)
    } else {
        0
    };
    let kept = if streak >= t.transient_reads {
        problems
    } else {
        problems.into_iter().filter(|p| !p.is_transient()).collect()
    };
    (kept, streak)
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Lost => f.write_str("lost"),
            Self::Unreadable => f.write_str("unreadable"),
            Self::Overheating { limit } => write!(f, "temperature>={limit}C"),
            Self::EccUncorrectable => f.write_str("ecc-uncorrectable"),
            Self::RetiredPagesPending => f.write_str("retired-pages-pending"),
            Self::RemappedRowsPending => f.write_str("remapped-rows-pending"),
            Self::RemappedRowsFailure => f.write_str("remapped-rows-failure"),
            Self::Xid(x) => write!(f, "xid-{x}"),
            Self::Throttling(t) => write!(f, "throttle-{}", t.as_str()),
        }
    }
}

/// Problems of one readable GPU, given the critical XIDs seen on it so far (sorted, no repeats).
/// The result is in `Problem`'s order (declaration order), so the annotation is stable.
/// Unreadable fields (`None`) are not problems: many GPUs lack ECC or remapping support.
pub fn evaluate(r: &GpuReading, critical_xids: &BTreeSet<u64>, t: &Thresholds) -> Vec<Problem> {
    let mut out = Vec::new();
    if r.temperature_celsius
        .is_some_and(|c| c >= t.max_temperature_celsius)
    {
        out.push(Problem::Overheating {
            limit: t.max_temperature_celsius,
        });
    }
    if r.ecc_uncorrected.is_some_and(|n| n > 0) {
        out.push(Problem::EccUncorrectable);
    }
    for (flag, problem) in [
        (r.retired_pages_pending, Problem::RetiredPagesPending),
        (r.remapped_rows_pending, Problem::RemappedRowsPending),
        (r.remapped_rows_failure, Problem::RemappedRowsFailure),
    ] {
        if flag == Some(true) {
            out.push(problem);
        }
    }
    out.extend(critical_xids.iter().map(|x| Problem::Xid(*x)));
    let mut throttles: Vec<Throttle> = r
        .throttle
        .iter()
        .copied()
        .filter(|t| t.is_fault())
        .collect();
    throttles.sort();
    throttles.dedup();
    out.extend(throttles.into_iter().map(Problem::Throttling));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> GpuReading {
        GpuReading {
            uuid: "GPU-a".into(),
            model: "NVIDIA H100 80GB HBM3".into(),
            memory_total_bytes: 80 << 30,
            temperature_celsius: Some(55),
            power_watts: Some(300.0),
            utilization: Some(0.9),
            ecc_uncorrected: Some(0),
            ecc_corrected: Some(12),
            retired_pages_pending: Some(false),
            remapped_rows_pending: Some(false),
            remapped_rows_failure: Some(false),
            throttle: vec![Throttle::SwPowerCap],
            ..GpuReading::default()
        }
    }

    #[test]
    fn table() {
        type Case = (
            &'static str,
            fn(&mut GpuReading),
            &'static [u64],
            Vec<Problem>,
        );
        let cases: Vec<Case> = vec![
            ("healthy under power cap", |_| {}, &[], vec![]),
            (
                "89C is fine",
                |r| r.temperature_celsius = Some(89),
                &[],
                vec![],
            ),
            (
                "overheating at the limit",
                |r| r.temperature_celsius = Some(90),
                &[],
                vec![Problem::Overheating { limit: 90 }],
            ),
            (
                "uncorrectable ECC",
                |r| r.ecc_uncorrected = Some(2),
                &[],
                vec![Problem::EccUncorrectable],
            ),
            (
                "corrected ECC only",
                |r| r.ecc_corrected = Some(10_000),
                &[],
                vec![],
            ),
            (
                "pages pending retirement",
                |r| r.retired_pages_pending = Some(true),
                &[],
                vec![Problem::RetiredPagesPending],
            ),
            (
                "rows pending remap and remap failure",
                |r| {
                    r.remapped_rows_pending = Some(true);
                    r.remapped_rows_failure = Some(true);
                },
                &[],
                vec![Problem::RemappedRowsPending, Problem::RemappedRowsFailure],
            ),
            ("critical XID", |_| {}, &[79], vec![Problem::Xid(79)]),
            (
                "hardware thermal slowdown",
                |r| r.throttle = vec![Throttle::SwPowerCap, Throttle::HwThermal],
                &[],
                vec![Problem::Throttling(Throttle::HwThermal)],
            ),
            (
                "everything at once, in a stable order",
                |r| {
                    r.throttle = vec![Throttle::HwThermal, Throttle::HwSlowdown];
                    r.ecc_uncorrected = Some(1);
                    r.temperature_celsius = Some(97);
                },
                &[94, 48],
                vec![
                    Problem::Overheating { limit: 90 },
                    Problem::EccUncorrectable,
                    Problem::Xid(48),
                    Problem::Xid(94),
                    Problem::Throttling(Throttle::HwSlowdown),
                    Problem::Throttling(Throttle::HwThermal),
                ],
            ),
            (
                "nothing readable is not a problem",
                |r| *r = GpuReading::default(),
                &[],
                vec![],
            ),
        ];
        for (name, tweak, xids, want) in cases {
            let mut r = healthy();
            tweak(&mut r);
            let xids: BTreeSet<u64> = xids.iter().copied().collect();
            let got = evaluate(&r, &xids, &Thresholds::default());
            assert!(got.windows(2).all(|w| w[0] < w[1]), "{name}: sorted");
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn debounce_table() {
        let hot = Problem::Overheating { limit: 90 };
        let t = Thresholds::default();
        // name, problems, streak before, want kept, want streak
        let cases = [
            ("first hot read waits", vec![hot], 0, vec![], 1),
            ("second hot read counts", vec![hot], 1, vec![hot], 2),
            ("cool read resets", vec![], 5, vec![], 0),
            (
                "faults count at once",
                vec![hot, Problem::Xid(79)],
                0,
                vec![Problem::Xid(79)],
                1,
            ),
            (
                "fault alone resets the streak",
                vec![Problem::Lost],
                1,
                vec![Problem::Lost],
                0,
            ),
        ];
        for (name, problems, streak, want, want_streak) in cases {
            assert_eq!(
                debounce(problems, streak, &t),
                (want, want_streak),
                "{name}"
            );
        }
        let once = Thresholds {
            transient_reads: 1,
            ..t
        };
        assert_eq!(debounce(vec![hot], 0, &once), (vec![hot], 1), "no debounce");
    }

    #[test]
    fn critical_xid_list() {
        for x in [48, 79, 94, 95] {
            assert!(is_critical_xid(x), "{x}");
        }
        // Application-caused XIDs must not mark hardware unhealthy.
        for x in [13, 31, 43, 45, 68, 109] {
            assert!(!is_critical_xid(x), "{x}");
        }
    }

    #[test]
    fn problem_text_is_stable() {
        assert_eq!(
            Problem::Overheating { limit: 90 }.to_string(),
            "temperature>=90C"
        );
        assert_eq!(Problem::Xid(79).to_string(), "xid-79");
        assert_eq!(
            Problem::Throttling(Throttle::HwPowerBrake).to_string(),
            "throttle-hw-power-brake"
        );
    }
}
