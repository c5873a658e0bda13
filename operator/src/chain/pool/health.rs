//! One endpoint's health as its pool sees it, and the pool's choice among endpoints. Pure: the
//! time is passed in, so the rules are table-tested (`health_tests.rs`).

use std::cmp::Reverse;
use std::time::{Duration, Instant};

use crate::chain::ChainError;

/// An endpoint's state, as reported in status and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EndpointState {
    /// Not asked yet.
    Unknown,
    Healthy,
    /// Answers, but more than `lag_blocks` behind the best head seen on any endpoint.
    Lagging,
    /// Its last answer was a rate-limit refusal (HTTP 429); not asked again before its backoff.
    RateLimited,
    /// Its last request found no connection, timed out or lost its answer.
    Unreachable,
    /// Its last request got an answer that was neither data nor a chain verdict (undecodable,
    /// an unexpected error).
    Failing,
}

impl EndpointState {
    pub const ALL: [EndpointState; 6] = [
        EndpointState::Unknown,
        EndpointState::Healthy,
        EndpointState::Lagging,
        EndpointState::RateLimited,
        EndpointState::Unreachable,
        EndpointState::Failing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EndpointState::Unknown => "Unknown",
            EndpointState::Healthy => "Healthy",
            EndpointState::Lagging => "Lagging",
            EndpointState::RateLimited => "RateLimited",
            EndpointState::Unreachable => "Unreachable",
            EndpointState::Failing => "Failing",
        }
    }
}

/// The pool's rules.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    /// An endpoint more than this many blocks behind the best head seen is lagging.
    pub lag_blocks: u64,
    /// Backoff after consecutive rate-limit refusals: `min · 2^(n-1)`, capped at `max`.
    pub rate_limit_backoff: (Duration, Duration),
    /// Backoff after other consecutive failures, likewise.
    pub error_backoff: (Duration, Duration),
    /// The heads of a pool's endpoints are read again when older than this.
    pub probe_every: Duration,
    /// A head read taking longer counts as a timeout.
    pub probe_timeout: Duration,
    /// A request given up by its caller after this long counts as a timeout of its endpoint
    /// (a shorter one says nothing about the endpoint).
    pub abandoned_after: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            // One Subtensor block is 12 s: a node more than ~36 s behind is not "just importing".
            lag_blocks: 3,
            rate_limit_backoff: (Duration::from_secs(5), Duration::from_secs(120)),
            error_backoff: (Duration::from_secs(1), Duration::from_secs(30)),
            // The minimum poll interval: one round of head reads per poll at most.
            probe_every: Duration::from_secs(2),
            probe_timeout: Duration::from_secs(5),
            abandoned_after: Duration::from_secs(1),
        }
    }
}

/// What a failed request says about its endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trouble {
    RateLimited,
    Unreachable,
    Failing,
}

/// The trouble an error shows, or None when the chain itself answered (the endpoint works:
/// a pool rejection, a missing subnet, a limit check, a call the runtime lacks). Every variant
/// is named, so a new one has to be placed here.
pub fn trouble_of(e: &ChainError) -> Option<Trouble> {
    match e {
        ChainError::RateLimited(_) => Some(Trouble::RateLimited),
        ChainError::Unreachable(_) | ChainError::Timeout(_) | ChainError::OutcomeUnknown { .. } => {
            Some(Trouble::Unreachable)
        }
        ChainError::Decode(_) | ChainError::Other(_) => Some(Trouble::Failing),
        ChainError::Rejected(_)
        | ChainError::SubnetNotFound(_)
        | ChainError::BurnAboveLimit { .. }
        | ChainError::PriceBeyondLimit { .. }
        | ChainError::ProxyNotAllowed(_)
        | ChainError::Unsupported(_) => None,
    }
}

/// `min · 2^(failures-1)`, capped at `max`.
pub fn backoff((min, max): (Duration, Duration), failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(16);
    min.saturating_mul(2u32.pow(exp)).min(max)
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Health {
    /// The head it last reported (a head read, or a snapshot's block).
    pub head: Option<u64>,
    /// When it last answered or failed.
    pub observed_at: Option<Instant>,
    /// Smoothed duration of its successful requests.
    pub latency: Option<Duration>,
    pub trouble: Option<Trouble>,
    /// Consecutive failures.
    pub failures: u32,
    /// Not asked again before this (after a failure).
    pub retry_at: Option<Instant>,
    /// The last failure, bounded and redacted (kept after recovery, for status).
    pub last_error: Option<String>,
}

impl Health {
    /// A request answered (data, or a verdict of the chain), with the head it showed if any.
    pub fn succeeded(&mut self, now: Instant, took: Duration, head: Option<u64>) {
        self.observed_at = Some(now);
        // Weighted 70/30 towards the past, so one slow answer does not flip a choice.
        self.latency = Some(match self.latency {
            None => took,
            Some(l) => (l * 7 + took * 3) / 10,
        });
        if head.is_some() {
            self.head = head;
        }
        self.trouble = None;
        self.failures = 0;
        self.retry_at = None;
    }

    /// A request failed at the endpoint; `error` is already bounded and redacted.
    pub fn failed(&mut self, now: Instant, trouble: Trouble, error: String, opts: &PoolOptions) {
        self.observed_at = Some(now);
        self.failures += 1;
        self.trouble = Some(trouble);
        let policy = match trouble {
            Trouble::RateLimited => opts.rate_limit_backoff,
            Trouble::Unreachable | Trouble::Failing => opts.error_backoff,
        };
        self.retry_at = Some(now + backoff(policy, self.failures));
        self.last_error = Some(error);
    }

    pub fn backing_off(&self, now: Instant) -> bool {
        self.retry_at.is_some_and(|at| now < at)
    }

    /// Its state, given the best head seen on any endpoint of the pool.
    pub fn state(&self, best: Option<u64>, opts: &PoolOptions) -> EndpointState {
        match (self.trouble, self.head, best) {
            (Some(Trouble::RateLimited), ..) => EndpointState::RateLimited,
            (Some(Trouble::Unreachable), ..) => EndpointState::Unreachable,
            (Some(Trouble::Failing), ..) => EndpointState::Failing,
            (None, None, _) => EndpointState::Unknown,
            (None, Some(h), Some(b)) if b.saturating_sub(h) > opts.lag_blocks => {
                EndpointState::Lagging
            }
            (None, Some(_), _) => EndpointState::Healthy,
        }
    }
}

/// The best head seen on any endpoint (a high-water mark: a failed endpoint's last head counts
/// until the others pass it).
pub fn best_head(members: &[Health]) -> Option<u64> {
    members.iter().filter_map(|h| h.head).max()
}

/// The endpoints a request may use, best first.
///
/// Of several, only healthy ones: never a lagging one (its view is older than one already
/// seen), never one backing off or not yet asked (the head reads of [`due_for_probe`] bring
/// those back). The one in use stays first while healthy (so consecutive reads see one node
/// and the choice does not flap between endpoints a block apart); then the freshest, the
/// fastest (by 100 ms), the first listed. A pool of one has no fresher endpoint to prefer: it is used
/// unless it is backing off from a rate limit (its client backs off from transport failures
/// by itself).
pub fn choose(
    members: &[Health],
    current: Option<usize>,
    now: Instant,
    opts: &PoolOptions,
) -> Vec<usize> {
    if let [only] = members {
        let limited = only.trouble == Some(Trouble::RateLimited) && only.backing_off(now);
        return if limited { vec![] } else { vec![0] };
    }
    let best = best_head(members);
    let mut healthy: Vec<usize> = (0..members.len())
        .filter(|&i| members[i].state(best, opts) == EndpointState::Healthy)
        .collect();
    healthy.sort_by_key(|&i| {
        let m = &members[i];
        // In steps of 100 ms: a few ms more is noise, and the order listed should win then.
        let slowness = m.latency.map_or(u128::MAX, |l| l.as_millis() / 100);
        (Some(i) != current, Reverse(m.head), slowness, i)
    });
    healthy
}

/// The endpoints whose head to read before choosing: in a pool of several, each one not
/// backing off whose last observation is older than `probe_every` (or that was never asked).
pub fn due_for_probe(members: &[Health], now: Instant, opts: &PoolOptions) -> Vec<usize> {
    if members.len() < 2 {
        return Vec::new();
    }
    (0..members.len())
        .filter(|&i| {
            let m = &members[i];
            !m.backing_off(now)
                && m.observed_at
                    .is_none_or(|t| now.duration_since(t) >= opts.probe_every)
        })
        .collect()
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
