//! `tensorfleet run`: the controller. The only module with a Kubernetes client.
//!
//! Neuron, Subnet and NeuronSet controllers share one [`Context`]; per-Subnet chain pollers feed the
//! [`ChainCache`] and trigger reconciles of the Subnet and of the Neurons whose figures changed.

mod apply;
mod chain_view;
mod client;
mod context;
mod deadline;
mod deletions;
mod error;
mod events;
mod failpoint;
mod freshness;
mod leader;
mod lenient;
mod metric_labels;
mod metrics;
mod neuron;
mod neuronset;
mod neuronset_rollout;
mod neuronset_status;
mod node_addresses;
mod nodes;
mod poll_wakes;
mod secrets;
mod slim;
mod spend_metrics;
mod spending;
mod status;
mod stores;
mod subnet;
mod triggers;
mod wallet;
mod watched;
mod watches;

pub use context::Context;
pub use error::Error;
pub use metrics::Metrics;

use crate::chain::connect::{EndpointConnector, MeteredConnector};
use crate::chain::{poller::Pollers, ChainCache, ChainConnector};
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Watch only this namespace (default: all namespaces).
    #[arg(long, alias = "namespaces", env = "TF_NAMESPACE", value_name = "NS")]
    pub namespace: Option<String>,
    /// Address serving /metrics, /healthz and /readyz.
    #[arg(long, env = "TF_METRICS_ADDR", default_value = "0.0.0.0:8080")]
    pub metrics_addr: SocketAddr,
    /// kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then the in-cluster config).
    #[arg(long, env = "KUBECONFIG", value_name = "FILE")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// Reconcile only while holding a coordination.k8s.io Lease (run several replicas safely).
    #[arg(long, env = "TF_LEADER_ELECT")]
    pub leader_elect: bool,
    /// Name of the Lease.
    #[arg(long, default_value = "tensorfleet-operator")]
    pub lease_name: String,
    /// Namespace of the Lease (default: $POD_NAMESPACE, else the watched namespace, else "default").
    #[arg(long, env = "POD_NAMESPACE")]
    pub lease_namespace: Option<String>,
    /// Seconds a Lease stays valid without renewal; the holder renews a third of it before expiry.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(2..))]
    pub lease_duration_seconds: u64,
    /// This replica's identity in the Lease (default: $POD_NAME, else the host name).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,
    /// Seconds the Kubernetes API may take to answer one request, body included (a watch: to
    /// start streaming). Reconciles are cut after 150 s whatever this says.
    #[arg(long, env = "TF_REQUEST_TIMEOUT_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=120))]
    pub request_timeout_seconds: u64,
    /// Server-side timeout of each watch (`timeoutSeconds`). A watch that sends nothing, not even
    /// a bookmark, for this plus 5 s is taken for stalled and started again.
    #[arg(long, env = "TF_WATCH_TIMEOUT_SECONDS", default_value_t = 120,
          value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub watch_timeout_seconds: u32,
}

pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    if args.namespace.as_deref().is_some_and(|n| n.contains(',')) {
        anyhow::bail!("--namespace takes one namespace (omit it to watch all)");
    }
    let client = client::client(
        args.kubeconfig.as_deref(),
        std::time::Duration::from_secs(args.request_timeout_seconds),
    )
    .await?;
    let mut registry = prometheus_client::registry::Registry::default();
    let metrics = Arc::new(Metrics::register(&mut registry));
    // Every chain connection is measured (requests by endpoint and method).
    let chain_metrics = crate::chain::metered::ChainMetrics::register(
        registry.sub_registry_with_prefix("tensorfleet"),
    );
    let readiness = crate::telemetry::Readiness::default();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(signal_to(stop_tx.clone()));
    let server = tokio::spawn(crate::telemetry::serve(
        args.metrics_addr,
        Arc::new(registry),
        readiness.clone(),
        stopped(stop_rx.clone()),
    ));
    readiness.set(true);

    let leadership = if args.leader_elect {
        let cfg = leader::LeaseConfig {
            name: args.lease_name.clone(),
            namespace: args
                .lease_namespace
                .clone()
                .or_else(|| args.namespace.clone())
                .unwrap_or_else(|| "default".into()),
            identity: args.identity.clone().unwrap_or_else(default_identity),
            duration_seconds: args.lease_duration_seconds,
        };
        match leader::Leadership::acquire(client.clone(), &cfg, stopped(stop_rx.clone())).await? {
            Some(l) => Some(l),
            None => return finish(server).await,
        }
    } else {
        None
    };

    let connector: Arc<dyn ChainConnector> = Arc::new(MeteredConnector {
        inner: Arc::new(EndpointConnector),
        metrics: chain_metrics,
    });
    let watched = watched::Watched {
        namespace: args.namespace.as_deref(),
        timeout_seconds: args.watch_timeout_seconds,
    };
    let result = run_controllers(client, watched, connector, metrics, stop_rx, leadership).await;
    let _ = stop_tx.send(true);
    finish(server).await?;
    result
}

/// Runs both controllers until shutdown (or loss of leadership, which is an error so the
/// process restarts as a standby).
async fn run_controllers(
    client: kube::Client,
    watched: watched::Watched<'_>,
    connector: Arc<dyn ChainConnector>,
    metrics: Arc<Metrics>,
    stop: tokio::sync::watch::Receiver<bool>,
    mut leadership: Option<leader::Leadership>,
) -> anyhow::Result<()> {
    let cache = Arc::new(ChainCache::new());
    let (events_tx, events_rx) = tokio::sync::mpsc::unbounded_channel();
    let pollers = Arc::new(Pollers::new(connector, cache.clone(), events_tx));
    let lost = async {
        match leadership.as_mut() {
            Some(l) => l.lost().await,
            None => std::future::pending().await,
        }
    };
    let controllers = triggers::run(
        client,
        watched,
        cache,
        pollers.clone(),
        metrics,
        events_rx,
        stopped(stop.clone()),
    );
    let result = tokio::select! {
        r = within_grace(controllers, stopped(stop), SHUTDOWN_GRACE) => r.unwrap_or_else(|| {
            tracing::warn!(grace = ?SHUTDOWN_GRACE, "controllers still busy after the shutdown grace; stopping anyway");
            Ok(())
        }),
        _ = lost => Err(anyhow::anyhow!("lost leadership of the lease")),
    };
    pollers.stop_all();
    if let Some(l) = leadership {
        l.release().await;
    }
    result
}

fn default_identity() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "tensorfleet".into());
    format!("{host}-{}", std::process::id())
}

/// Flips `stop` on SIGTERM or Ctrl-C.
async fn signal_to(stop: tokio::sync::watch::Sender<bool>) {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM");
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupt: shutting down"),
    }
    let _ = stop.send(true);
}

/// How long a graceful shutdown may wait for running reconciles (and for controllers whose first
/// list has not completed: kube's applier waits for that before it stops). Cutting them short is
/// as safe as a crash, which every money step survives (intent recorded before submission).
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(4);

/// `work`'s output, or None when it is still running `grace` after `stop` resolved.
async fn within_grace<T>(
    work: impl std::future::Future<Output = T>,
    stop: impl std::future::Future<Output = ()>,
    grace: std::time::Duration,
) -> Option<T> {
    tokio::select! {
        out = work => Some(out),
        _ = async { stop.await; tokio::time::sleep(grace).await } => None,
    }
}

/// Resolves once `stop` is true.
pub(crate) async fn stopped(mut stop: tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn finish(server: tokio::task::JoinHandle<anyhow::Result<()>>) -> anyhow::Result<()> {
    match tokio::time::timeout(std::time::Duration::from_secs(5), server).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::within_grace;
    use std::time::Duration;

    #[tokio::test]
    async fn shutdown_waits_for_work_only_within_the_grace() {
        let grace = Duration::from_millis(300);
        let hung = within_grace(std::future::pending::<()>(), async {}, grace);
        assert_eq!(hung.await, None, "a controller that never ends is cut off");
        let busy = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            7
        };
        assert_eq!(within_grace(busy, async {}, grace).await, Some(7));
        let running = within_grace(async { 1 }, std::future::pending(), grace);
        assert_eq!(running.await, Some(1), "no stop: the work runs to its end");
    }
}
