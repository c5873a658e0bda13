//! Crash points for the crash-safety tests: `TF_FAILPOINT=registration:before_submit` (etc.)
//! makes the process abort exactly there. Compiled in only with the `fake-chain` feature (test
//! builds); in shipped builds every function here is a no-op.

/// Aborts the process when `TF_FAILPOINT` names `point`.
#[cfg(feature = "fake-chain")]
pub fn hit(point: &str) {
    if armed(point) {
        tracing::error!(failpoint = point, "failpoint hit: aborting");
        std::process::abort();
    }
}

#[cfg(not(feature = "fake-chain"))]
pub fn hit(_point: &str) {}

/// Whether `TF_FAILPOINT` (a `|`-separated list) names `point`.
#[cfg(feature = "fake-chain")]
pub fn armed(point: &str) -> bool {
    std::env::var("TF_FAILPOINT").is_ok_and(|v| v.split('|').any(|p| p.trim() == point))
}

#[cfg(not(feature = "fake-chain"))]
pub fn armed(_point: &str) -> bool {
    false
}

/// Runs a submission; when `point` is armed, the process aborts while the call is outstanding
/// (after giving the request time to reach the chain) without ever handling its answer.
pub async fn submit<F: std::future::Future>(point: &str, fut: F) -> F::Output {
    if armed(point) {
        tokio::select! {
            _ = fut => {}
            _ = tokio::time::sleep(std::time::Duration::from_millis(300)) => {}
        }
        hit(point);
        unreachable!("failpoint {point} is armed");
    }
    fut.await
}
