//! One live connection out of an ordered endpoint list: failover in order, reconnect with
//! exponential backoff, a timeout on every request, latency/error counters.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use subxt::backend::LegacyBackend;
use subxt::config::RpcConfigFor;
use subxt::rpcs::{LegacyRpcMethods, RpcClient};
use subxt::OnlineClient;
use tokio::sync::Mutex;

use super::config::SubtensorConfig;
use super::errors;
use super::stats::RequestStats;
use crate::chain::ChainError;

pub type Rpc = LegacyRpcMethods<RpcConfigFor<SubtensorConfig>>;

/// Timeouts and backoff.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// How long to wait for a submitted transaction to be included.
    pub inclusion_timeout: Duration,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            inclusion_timeout: Duration::from_secs(60),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
        }
    }
}

/// A connected endpoint: subxt's client (legacy RPC backend) and the raw legacy methods.
pub struct Conn {
    pub url: String,
    pub client: OnlineClient<SubtensorConfig>,
    pub rpc: Rpc,
}

#[derive(Default)]
struct State {
    current: Option<Arc<Conn>>,
    /// Index of the endpoint to try first on the next connect.
    next: usize,
    failures: u32,
    retry_at: Option<Instant>,
    last_error: String,
}

pub struct Connection {
    urls: Vec<String>,
    pub opts: ConnectOptions,
    state: Mutex<State>,
    pub stats: Arc<RequestStats>,
}

impl Connection {
    pub fn new(urls: Vec<String>, opts: ConnectOptions) -> Result<Self, ChainError> {
        if urls.is_empty() {
            return Err(ChainError::Unreachable("no endpoint configured".into()));
        }
        Ok(Connection {
            urls,
            opts,
            state: Mutex::new(State::default()),
            stats: Arc::new(RequestStats::default()),
        })
    }

    /// The endpoint in use, or the one that will be tried next.
    pub fn endpoint(&self) -> String {
        match self.state.try_lock() {
            Ok(s) => match &s.current {
                Some(c) => c.url.clone(),
                None => self.urls[s.next % self.urls.len()].clone(),
            },
            Err(_) => self.urls[0].clone(),
        }
    }

    /// The live connection, connecting (in endpoint order, from the last good one) if needed.
    pub async fn get(&self) -> Result<Arc<Conn>, ChainError> {
        let mut st = self.state.lock().await;
        if let Some(c) = &st.current {
            return Ok(c.clone());
        }
        if let Some(at) = st.retry_at {
            if Instant::now() < at {
                return Err(ChainError::Unreachable(format!(
                    "backing off after {} failed attempts: {}",
                    st.failures, st.last_error
                )));
            }
        }
        let n = self.urls.len();
        let mut errors = Vec::new();
        // Every endpoint refusing for its rate limit is told apart: the caller backs off longer.
        let mut rate_limited = 0;
        for i in 0..n {
            let idx = (st.next + i) % n;
            let url = &self.urls[idx];
            match tokio::time::timeout(self.opts.connect_timeout, connect(url)).await {
                Ok(Ok(conn)) => {
                    let conn = Arc::new(conn);
                    st.current = Some(conn.clone());
                    st.next = idx;
                    st.failures = 0;
                    st.retry_at = None;
                    tracing::info!(endpoint = %url, "connected to chain");
                    return Ok(conn);
                }
                Ok(Err(e)) => {
                    rate_limited += usize::from(matches!(e, ChainError::RateLimited(_)));
                    errors.push(format!("{url}: {e}"));
                }
                Err(_) => errors.push(format!("{url}: connect timed out")),
            }
        }
        st.failures += 1;
        let backoff = backoff(&self.opts, st.failures);
        st.retry_at = Some(Instant::now() + backoff);
        st.last_error = errors.join("; ");
        tracing::warn!(error = %st.last_error, ?backoff, "no chain endpoint reachable");
        if rate_limited == n {
            return Err(ChainError::RateLimited(st.last_error.clone()));
        }
        Err(ChainError::Unreachable(st.last_error.clone()))
    }

    /// Forget a connection that failed at the transport level; the next request reconnects,
    /// starting with the following endpoint.
    pub async fn drop_conn(&self, url: &str) {
        let mut st = self.state.lock().await;
        if st.current.as_ref().is_some_and(|c| c.url == url) {
            st.current = None;
            st.next = (st.next + 1) % self.urls.len();
        }
    }

    /// Run one request on the live connection with the request timeout, recording latency and
    /// errors under `method`.
    pub async fn call<T, F, Fut>(&self, method: &'static str, f: F) -> Result<T, ChainError>
    where
        F: FnOnce(Arc<Conn>) -> Fut,
        Fut: Future<Output = Result<T, ChainError>>,
    {
        self.call_within(method, self.opts.request_timeout, f).await
    }

    /// [`Connection::call`] with an explicit timeout (submissions wait for inclusion).
    pub async fn call_within<T, F, Fut>(
        &self,
        method: &'static str,
        limit: Duration,
        f: F,
    ) -> Result<T, ChainError>
    where
        F: FnOnce(Arc<Conn>) -> Fut,
        Fut: Future<Output = Result<T, ChainError>>,
    {
        let conn = self.get().await?;
        let url = conn.url.clone();
        let started = Instant::now();
        let res = match tokio::time::timeout(limit, f(conn)).await {
            Ok(r) => r,
            Err(_) => Err(ChainError::Timeout(limit)),
        };
        let label = res.as_ref().err().map(|e| e.metric_label());
        self.stats.record(&url, method, started.elapsed(), label);
        if let Err(e) = &res {
            if matches!(e, ChainError::Unreachable(_) | ChainError::Timeout(_)) {
                self.drop_conn(&url).await;
            }
        }
        res
    }
}

/// Backoff after `failures` consecutive failed connect rounds: min · 2^(n-1), capped.
pub fn backoff(opts: &ConnectOptions, failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(16);
    (opts.backoff_min * 2u32.pow(exp)).min(opts.backoff_max)
}

async fn connect(url: &str) -> Result<Conn, ChainError> {
    // `from_insecure_url` accepts ws:// (local devnets) as well as wss://.
    let rpc_client = RpcClient::from_insecure_url(url)
        .await
        .map_err(|e| errors::map(url, e))?;
    // Legacy backend: every Subtensor node and proxy serves it; chainHead_v1 is unreliable there.
    let backend = LegacyBackend::builder().build(rpc_client.clone());
    let client =
        OnlineClient::from_backend_with_config(SubtensorConfig::online(), Arc::new(backend))
            .await
            .map_err(|e| errors::map(url, e))?;
    Ok(Conn {
        url: url.to_string(),
        client,
        rpc: LegacyRpcMethods::new(rpc_client),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_min_and_caps_at_max() {
        let opts = ConnectOptions {
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(10),
            ..ConnectOptions::default()
        };
        let table = [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (40, 10)];
        for (failures, secs) in table {
            assert_eq!(
                backoff(&opts, failures),
                Duration::from_secs(secs),
                "{failures}"
            );
        }
    }

    #[tokio::test]
    async fn all_endpoints_tried_in_order_then_backs_off_without_retrying() {
        let urls = vec![
            "ws://127.0.0.1:9".to_string(),
            "ws://127.0.0.1:7".to_string(),
        ];
        let conn = Connection::new(urls, ConnectOptions::default()).unwrap();
        let Err(ChainError::Unreachable(msg)) = conn.call("head", |_| async { Ok(()) }).await
        else {
            panic!("expected unreachable");
        };
        let first = msg.find("127.0.0.1:9").unwrap();
        assert!(msg.find("127.0.0.1:7").unwrap() > first, "{msg}");
        // Inside the backoff window no connection is attempted.
        let Err(ChainError::Unreachable(msg)) = conn.get().await else {
            panic!("expected unreachable");
        };
        assert!(msg.contains("backing off after 1 failed"), "{msg}");
        assert!(Connection::new(vec![], ConnectOptions::default()).is_err());
    }
}
