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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_errors_and_latency_per_endpoint_and_method() {
        let s = RequestStats::default();
        s.record("wss://a", "head", Duration::from_millis(100), None);
        s.record(
            "wss://a",
            "head",
            Duration::from_millis(300),
            Some("timeout"),
        );
        s.record("wss://b", "head", Duration::from_millis(50), None);
        let snap = s.snapshot();
        let a = &snap[&("wss://a".to_string(), "head")];
        assert_eq!((a.requests, a.errors.get("timeout").copied()), (2, Some(1)));
        assert!((a.total_seconds - 0.4).abs() < 1e-9 && (a.max_seconds - 0.3).abs() < 1e-9);
        assert_eq!(snap[&("wss://b".to_string(), "head")].errors.len(), 0);
    }
}
