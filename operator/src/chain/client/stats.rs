//! Per-request counters (count, errors by label, latency), keyed by endpoint and method.
//! The metrics registry reads these; until then they are exposed via [`RequestStats::snapshot`].

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct MethodStats {
    pub requests: u64,
    /// Errors by [`crate::chain::ChainError::metric_label`].
    pub errors: BTreeMap<&'static str, u64>,
    pub total_seconds: f64,
    pub max_seconds: f64,
}

#[derive(Debug, Default)]
pub struct RequestStats {
    inner: Mutex<BTreeMap<(String, &'static str), MethodStats>>,
}

impl RequestStats {
    pub fn record(
        &self,
        endpoint: &str,
        method: &'static str,
        took: Duration,
        error: Option<&'static str>,
    ) {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let s = map.entry((endpoint.to_string(), method)).or_default();
        s.requests += 1;
        s.total_seconds += took.as_secs_f64();
        s.max_seconds = s.max_seconds.max(took.as_secs_f64());
        if let Some(label) = error {
            *s.errors.entry(label).or_default() += 1;
        }
    }

    /// A copy of all counters, keyed by (endpoint, method).
    pub fn snapshot(&self) -> BTreeMap<(String, &'static str), MethodStats> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
