//! A Subnet's endpoint pool: one [`Chain`] client per endpoint of `spec.endpoints`, scored by
//! what their requests show (head block, latency, errors, rate-limit refusals with backoff; the
//! rules are in `health.rs`), itself a [`Chain`] that sends each request to the best endpoint.
//!
//! - Reads go to a healthy endpoint, the one in use first, and fail over to the next healthy one
//!   when an endpoint fails (not when the chain answers, e.g. "subnet not found"). An endpoint
//!   well behind the best head seen is lagging and serves nothing until it catches up: its view
//!   is older than one the operator already acted on.
//! - Writes go to the first healthy endpoint, once: a transaction that may have reached a node
//!   is never sent again elsewhere (callers resolve unknown outcomes from the chain).
//! - With several endpoints, their heads are read (at most every `probe_every`, never while one
//!   backs off) before choosing, so lag and recovery are seen without a request at risk.
//!
//! Every [`Chain`] method is a one-line delegation to [`EndpointPool::read`] or
//! [`EndpointPool::write`] (`delegation.rs`); a new trait method is one more such line.

mod delegation;
mod gauges;
mod health;

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

pub use gauges::PoolGauges;
use health::{best_head, choose, due_for_probe, trouble_of, Health, Trouble};
pub use health::{EndpointState, PoolOptions};

use super::redact::{error_text, redact_url};
use super::{Chain, ChainError, SnapshotQuery, SubnetKey, SubnetSnapshot, TxOutcome};

/// One endpoint of a pool, for status.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointReport {
    /// The endpoint's URL, redacted ([`redact_url`]).
    pub url: String,
    pub state: EndpointState,
    /// The head it last reported.
    pub head: Option<u64>,
    /// Smoothed latency of its successful requests.
    pub latency_ms: Option<u64>,
    /// Its last failure (kept after recovery), bounded and redacted.
    pub last_error: Option<String>,
    /// When it entered `state`.
    pub since: jiff::Timestamp,
}

struct Member {
    /// Redacted: what logs, status and metrics show.
    name: String,
    /// As configured: only to find it in error texts.
    raw: String,
    /// None when the endpoint could not be made a client (e.g. an unsupported scheme).
    chain: Option<Arc<dyn Chain>>,
}

/// What the pool knows, under one lock.
struct Book {
    health: Vec<Health>,
    /// The endpoint that last served a request.
    current: Option<usize>,
    /// Each endpoint's state as last reported, and since when.
    shown: Vec<(EndpointState, jiff::Timestamp)>,
}

pub struct EndpointPool {
    subnet: SubnetKey,
    members: Vec<Member>,
    opts: PoolOptions,
    book: Mutex<Book>,
    /// One round of head reads at a time.
    probing: tokio::sync::Mutex<()>,
    gauges: Option<PoolGauges>,
}

/// Marks a request given up by its caller (a timeout around it, a cancelled reconcile) as a
/// timeout of its endpoint, once it has run long enough to say something about the endpoint.
struct InFlight<'a> {
    pool: &'a EndpointPool,
    member: usize,
    started: Instant,
    done: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let took = self.started.elapsed();
        if !self.done && took >= self.pool.opts.abandoned_after {
            let why = format!("no answer within {:.1} s", took.as_secs_f64());
            self.pool.failed(self.member, Trouble::Unreachable, why);
        }
    }
}

impl EndpointPool {
    /// A pool of `endpoints` (URL and its client, or why there is none). An endpoint without a
    /// client stays in the pool as Failing with its reason; at least one must have a client.
    pub fn new(
        subnet: SubnetKey,
        endpoints: Vec<(String, anyhow::Result<Arc<dyn Chain>>)>,
        opts: PoolOptions,
        metrics: Option<super::metered::ChainMetrics>,
    ) -> anyhow::Result<EndpointPool> {
        let now = Instant::now();
        let mut members = Vec::new();
        let mut health = Vec::new();
        let mut errors = Vec::new();
        for (raw, chain) in endpoints {
            let name = redact_url(&raw);
            let mut h = Health::default();
            let chain = chain
                .map_err(|e| {
                    let text = error_text(&e.to_string(), &raw, &name);
                    errors.push(text.clone());
                    // Retried never: the URL itself is wrong until the Subnet changes.
                    h.failed(now, Trouble::Failing, text, &opts);
                    h.retry_at = None;
                })
                .ok();
            members.push(Member { name, raw, chain });
            health.push(h);
        }
        if members.iter().all(|m| m.chain.is_none()) {
            anyhow::bail!("{}", errors.join("; "));
        }
        let names: Vec<String> = members.iter().map(|m| m.name.clone()).collect();
        let gauges = metrics.map(|m| PoolGauges::new(m, &subnet.namespace, &subnet.name, &names));
        let since = jiff::Timestamp::now();
        let best = best_head(&health);
        let shown = health
            .iter()
            .map(|h| (h.state(best, &opts), since))
            .collect();
        Ok(EndpointPool {
            subnet,
            members,
            opts,
            book: Mutex::new(Book {
                health,
                current: None,
                shown,
            }),
            probing: tokio::sync::Mutex::new(()),
            gauges,
        })
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Each endpoint as it stands (and its metrics brought up to date).
    pub fn report(&self) -> Vec<EndpointReport> {
        let book = self.book();
        let best = best_head(&book.health);
        let reports: Vec<EndpointReport> = self
            .members
            .iter()
            .zip(book.health.iter().zip(&book.shown))
            .map(|(m, (h, &(state, since)))| EndpointReport {
                url: m.name.clone(),
                state,
                head: h.head,
                latency_ms: h
                    .latency
                    .map(|l| l.as_millis().try_into().unwrap_or(u64::MAX)),
                last_error: h.last_error.clone(),
                since,
            })
            .collect();
        if let Some(g) = &self.gauges {
            for r in &reports {
                let behind = best.zip(r.head).map_or(0, |(b, h)| b.saturating_sub(h));
                g.set(&r.url, r.state, behind);
            }
        }
        reports
    }

    /// The cache discarded a snapshot of `endpoint` as older than the Subnet's view.
    pub fn discarded(&self, endpoint: &str) {
        if let Some(g) = &self.gauges {
            g.discarded(endpoint);
        }
    }

    /// A snapshot, with the endpoint that gave the answer (or the last one that failed).
    pub async fn snapshot_from(
        &self,
        netuid: u16,
        query: &SnapshotQuery,
    ) -> (Option<String>, Result<SubnetSnapshot, ChainError>) {
        let read = |c: Arc<dyn Chain>| async move { c.snapshot(netuid, query).await };
        let (i, r) = self.read_at(read, |s| Some(s.block)).await;
        (i.map(|i| self.members[i].name.clone()), r)
    }

    /// A read on the best endpoint, failing over to the next healthy one when an endpoint fails.
    /// `head_of` says which head an answer shows, if any.
    pub async fn read<T, F, Fut>(
        &self,
        f: F,
        head_of: fn(&T) -> Option<u64>,
    ) -> Result<T, ChainError>
    where
        F: Fn(Arc<dyn Chain>) -> Fut + Send + Sync,
        Fut: Future<Output = Result<T, ChainError>> + Send,
        T: Send,
    {
        self.read_at(f, head_of).await.1
    }

    async fn read_at<T, F, Fut>(
        &self,
        f: F,
        head_of: fn(&T) -> Option<u64>,
    ) -> (Option<usize>, Result<T, ChainError>)
    where
        F: Fn(Arc<dyn Chain>) -> Fut + Send + Sync,
        Fut: Future<Output = Result<T, ChainError>> + Send,
        T: Send,
    {
        self.probe_if_due().await;
        let mut last = None;
        for (i, chain) in self.order() {
            match self.attempt(i, f(chain), head_of, true).await {
                Err(e) if trouble_of(&e).is_some() => last = Some((i, e)),
                r => return (Some(i), r),
            }
        }
        match last {
            Some((i, e)) => (Some(i), Err(e)),
            None => (None, Err(self.none_usable())),
        }
    }

    /// A write on the best endpoint, exactly once: once sent it may have reached a node, so it
    /// is never retried elsewhere whatever the error.
    pub async fn write<F, Fut>(&self, f: F) -> Result<TxOutcome, ChainError>
    where
        F: FnOnce(Arc<dyn Chain>) -> Fut + Send,
        Fut: Future<Output = Result<TxOutcome, ChainError>> + Send,
    {
        self.probe_if_due().await;
        let Some((i, chain)) = self.order().into_iter().next() else {
            return Err(self.none_usable());
        };
        self.attempt(i, f(chain), |_| None, true).await
    }

    /// The endpoints to use now, best first, with their clients.
    fn order(&self) -> Vec<(usize, Arc<dyn Chain>)> {
        let book = self.book();
        choose(&book.health, book.current, Instant::now(), &self.opts)
            .into_iter()
            .filter_map(|i| Some((i, self.members[i].chain.clone()?)))
            .collect()
    }

    /// Why nothing can be asked: each endpoint and its state.
    fn none_usable(&self) -> ChainError {
        let book = self.book();
        let states: Vec<EndpointState> = book.shown.iter().map(|s| s.0).collect();
        let summary: Vec<String> = self
            .members
            .iter()
            .zip(&states)
            .map(|(m, s)| format!("{} {}", m.name, s.as_str()))
            .collect();
        let summary = summary.join(", ");
        if states.iter().all(|s| *s == EndpointState::RateLimited) {
            ChainError::RateLimited(summary)
        } else {
            ChainError::Unreachable(summary)
        }
    }

    /// Reads the heads of the endpoints due for it, concurrently. The first round is waited
    /// for (nothing is known before it); a later one is skipped while another caller runs one.
    async fn probe_if_due(&self) {
        let due = || {
            let book = self.book();
            let due = due_for_probe(&book.health, Instant::now(), &self.opts);
            let never = due.iter().any(|&i| book.health[i].observed_at.is_none());
            let due: Vec<usize> = due
                .into_iter()
                .filter(|&i| self.members[i].chain.is_some())
                .collect();
            (due, never)
        };
        let (first, never) = due();
        if first.is_empty() {
            return;
        }
        let _round = match never {
            true => self.probing.lock().await,
            false => match self.probing.try_lock() {
                Ok(g) => g,
                Err(_) => return,
            },
        };
        // Another caller may have read them while this one waited.
        let (due, _) = due();
        let probes = due.into_iter().filter_map(|i| {
            let chain = self.members[i].chain.clone()?;
            let probe = self.attempt(i, async move { chain.head().await }, |h| Some(*h), false);
            Some(tokio::time::timeout(self.opts.probe_timeout, probe))
        });
        // A timed-out probe is recorded by its InFlight guard.
        let _ = futures::future::join_all(probes).await;
    }

    /// Runs one request on endpoint `i` and books what it shows.
    async fn attempt<T>(
        &self,
        i: usize,
        request: impl Future<Output = Result<T, ChainError>>,
        head_of: fn(&T) -> Option<u64>,
        serving: bool,
    ) -> Result<T, ChainError> {
        let started = Instant::now();
        let mut in_flight = InFlight {
            pool: self,
            member: i,
            started,
            done: false,
        };
        let result = request.await;
        in_flight.done = true;
        let took = started.elapsed();
        let trouble = result.as_ref().err().and_then(trouble_of);
        match (&result, trouble) {
            (Err(e), Some(t)) => {
                let m = &self.members[i];
                self.failed(i, t, error_text(&e.to_string(), &m.raw, &m.name));
            }
            (r, _) => {
                let head = r.as_ref().ok().and_then(head_of);
                self.update(i, |h, now| h.succeeded(now, took, head), serving);
            }
        }
        result
    }

    fn failed(&self, i: usize, trouble: Trouble, error: String) {
        self.update(i, |h, now| h.failed(now, trouble, error, &self.opts), false);
    }

    /// Applies `f` to endpoint `i`'s health, then logs (and counts) every endpoint whose state
    /// changed: one endpoint's new head can make another one lagging.
    fn update(&self, i: usize, f: impl FnOnce(&mut Health, Instant), serving: bool) {
        let mut book = self.book();
        f(&mut book.health[i], Instant::now());
        if serving {
            book.current = Some(i);
        }
        let best = best_head(&book.health);
        let now = jiff::Timestamp::now();
        for j in 0..self.members.len() {
            let state = book.health[j].state(best, &self.opts);
            let (was, _) = book.shown[j];
            if state == was {
                continue;
            }
            book.shown[j] = (state, now);
            let h = &book.health[j];
            let (endpoint, subnet) = (&self.members[j].name, &self.subnet);
            let error = h.last_error.as_deref().unwrap_or_default();
            if state == EndpointState::Healthy {
                tracing::info!(%subnet, %endpoint, from = was.as_str(), head = h.head, "chain endpoint healthy");
            } else {
                tracing::warn!(%subnet, %endpoint, from = was.as_str(), to = state.as_str(), head = h.head, best, error, "chain endpoint not usable");
            }
        }
    }
}

#[cfg(test)]
mod tests;
