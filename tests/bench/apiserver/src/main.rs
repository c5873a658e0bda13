//! A Kubernetes API emulator for the fleet benchmark (tests/bench/): the protocol of
//! tests/e2e/emulator.py (the operator is tested against that one) in Rust, so the API server
//! costs less CPU than the operator it measures. Plain HTTP on 127.0.0.1; benchmark extras under
//! /bench/ (bulk load, request log, convergence count, a built-in kubelet).

mod bench;
mod error;
mod list;
mod registry;
mod schema;
mod selector;
mod semantics;
mod server;
mod store;
mod verbs;
mod watch;

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "tensorfleet-bench-apiserver",
    about = "Kubernetes API emulator for the tensorfleet fleet benchmark"
)]
struct Args {
    /// Port on 127.0.0.1 (0: any free one). The first stdout line is `listening on 127.0.0.1:PORT`.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Directory of CustomResourceDefinition YAML files to serve.
    #[arg(long, default_value = "crds")]
    crds: PathBuf,
    /// Latency added to every non-watch response, in milliseconds.
    #[arg(long, default_value_t = 0.0)]
    latency_ms: f64,
    /// Built-in kubelet: a StatefulSet with replicas >= 1 gets a Running, Ready `<name>-0` Pod.
    #[arg(long)]
    kubelet: bool,
    /// Milliseconds the kubelet takes to act on a StatefulSet write (0: within the write itself).
    #[arg(long, default_value_t = 0.0)]
    kubelet_delay_ms: f64,
    /// Apply CRD schema defaults on write, as a real apiserver (the Python emulator does not).
    #[arg(long)]
    crd_defaults: bool,
    /// Interval of BOOKMARK events on watches that allow them, in seconds.
    #[arg(long, default_value_t = 5.0)]
    bookmark_seconds: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let crds = registry::load_crds(&args.crds)?;
    let reg = Arc::new(registry::Registry::new(&crds));
    let mut state = store::State::new(reg.clone(), args.kubelet);
    state.crd_defaults = args.crd_defaults;
    // As tests/e2e/cluster.py: the CRD objects and the default Namespace exist from the start.
    let mut seed = crds;
    seed.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}));
    bench::load(&mut state, seed).map_err(|e| anyhow::anyhow!("seeding: {}", e.message))?;
    let shared = Arc::new(server::Shared {
        reg,
        state: Mutex::new(state),
        log: Mutex::new(vec![]),
        started: Instant::now(),
        latency: Duration::from_secs_f64(args.latency_ms.max(0.0) / 1000.0),
        bookmark_interval: Duration::from_secs_f64(args.bookmark_seconds.max(0.01)),
        kubelet_delay: Duration::from_secs_f64(args.kubelet_delay_ms.max(0.0) / 1000.0),
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    let mut out = std::io::stdout();
    writeln!(out, "listening on {}", listener.local_addr()?)?;
    out.flush()?;
    let app = axum::Router::new()
        .fallback(server::handle)
        .with_state(shared);
    axum::serve(listener, app).await?;
    Ok(())
}
