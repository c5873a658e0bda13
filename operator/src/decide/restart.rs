//! Operator-initiated pod restarts: exponential backoff and an hourly ceiling. Pure.

use jiff::{SignedDuration, Timestamp};

/// Why the operator restarts a pod (recorded in status, Events and metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartReason {
    WeightsStale,
    /// Under commit-reveal: commits land, but no reveal changes the weights.
    RevealsMissing,
    GpuUnhealthy,
}

impl RestartReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RestartReason::WeightsStale => "WeightsStale",
            RestartReason::RevealsMissing => "RevealsMissing",
            RestartReason::GpuUnhealthy => "GpuUnhealthy",
        }
    }
}

/// First wait after a restart; doubles with each restart in the last hour.
pub const BASE_BACKOFF: SignedDuration = SignedDuration::from_secs(300);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestartStep {
    Restart,
    /// Too soon after the last restart.
    Backoff {
        until: Timestamp,
    },
    /// `maxRestartsPerHour` reached.
    HourlyCapReached,
}

/// `recent`: times of earlier operator restarts (any order; older than an hour are ignored).
pub fn decide(now: Timestamp, recent: &[Timestamp], max_per_hour: u32) -> RestartStep {
    let hour_ago = now - SignedDuration::from_hours(1);
    let mut in_hour: Vec<Timestamp> = recent.iter().copied().filter(|t| *t > hour_ago).collect();
    in_hour.sort();
    if in_hour.len() as u32 >= max_per_hour {
        return RestartStep::HourlyCapReached;
    }
    if let Some(last) = in_hour.last() {
        let exp = (in_hour.len() as u32 - 1).min(10);
        let wait = BASE_BACKOFF * 2i32.pow(exp);
        let until = *last + wait;
        if now < until {
            return RestartStep::Backoff { until };
        }
    }
    RestartStep::Restart
}

/// Whether a validator's weights are stale enough to restart it (0 = check off).
pub fn weights_stale(blocks_since_update: u64, max_age_blocks: u64) -> bool {
    max_age_blocks > 0 && blocks_since_update > max_age_blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap() + SignedDuration::from_mins(min)
    }

    #[test]
    fn restart_table() {
        let cases = [
            ("first restart", vec![], 3, t(0), RestartStep::Restart),
            (
                "within first backoff",
                vec![t(0)],
                3,
                t(4),
                RestartStep::Backoff { until: t(5) },
            ),
            (
                "after first backoff",
                vec![t(0)],
                3,
                t(5),
                RestartStep::Restart,
            ),
            (
                "second backoff doubles",
                vec![t(0), t(5)],
                3,
                t(14),
                RestartStep::Backoff { until: t(15) },
            ),
            (
                "after doubled backoff",
                vec![t(0), t(5)],
                3,
                t(15),
                RestartStep::Restart,
            ),
            (
                "hourly cap",
                vec![t(0), t(5), t(15)],
                3,
                t(50),
                RestartStep::HourlyCapReached,
            ),
            // At t(61) only t(5) and t(15) count: under the cap, and t(15) + 10 min has passed.
            (
                "old restarts fall out of the hour",
                vec![t(0), t(5), t(15)],
                3,
                t(61),
                RestartStep::Restart,
            ),
            (
                "cap zero never restarts",
                vec![],
                0,
                t(0),
                RestartStep::HourlyCapReached,
            ),
        ];
        for (name, recent, cap, now, want) in cases {
            assert_eq!(decide(now, &recent, cap), want, "{name}");
        }
    }

    #[test]
    fn staleness() {
        for (since, max, want) in [
            (10, 0, false),
            (1000, 1000, false),
            (1001, 1000, true),
            (0, 1, false),
        ] {
            assert_eq!(weights_stale(since, max), want, "{since} {max}");
        }
    }
}
