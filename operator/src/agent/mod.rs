//! `tensorfleet agent`: a DaemonSet on GPU nodes that reads the GPUs through NVML and publishes
//! their inventory and health as Node labels, an annotation, an optional taint and metrics.
//! See docs/gpu-agent.md.

#[cfg(any(test, feature = "fake-gpu"))]
pub mod fake;
pub mod health;
pub mod metrics;
pub mod node;
pub mod nvml;
pub mod nvml_real;
pub mod patch;
pub mod sample;
#[cfg(test)]
mod testutil;
pub mod tick;

use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct AgentArgs {
    /// Seconds between GPU reads.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    pub interval: u64,
    /// This node's name (the DaemonSet sets NODE_NAME from spec.nodeName).
    #[arg(long, env = "NODE_NAME")]
    pub node_name: Option<String>,
    /// Address serving /metrics, /healthz and /readyz.
    #[arg(long, default_value = "0.0.0.0:9400")]
    pub metrics_addr: SocketAddr,
    /// Taint the node `tensorfleet.io/gpu-unhealthy:NoSchedule` while a GPU is unhealthy.
    #[arg(long)]
    pub taint_unhealthy: bool,
    /// At or above this GPU temperature (Celsius) the GPU counts as overheating.
    #[arg(long, default_value_t = 90)]
    pub max_temperature: u32,
    /// Consecutive reads overheating or throttling must last before the GPU counts as unhealthy
    /// (hardware faults such as ECC errors, critical XIDs or a lost GPU count at once).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    pub transient_reads: u32,
    /// Read the GPUs once, print the readings and health as JSON on stdout, and exit (no
    /// Kubernetes access). Exits 1 when NVML is unavailable.
    #[arg(long)]
    pub once: bool,
    /// Test builds only (cargo feature `fake-gpu`): scripted devices from this JSON file instead
    /// of NVML; see `agent::fake`.
    #[cfg(feature = "fake-gpu")]
    #[arg(long, value_name = "FILE")]
    pub fake_devices: Option<std::path::PathBuf>,
}

fn nvml_source(args: &AgentArgs) -> anyhow::Result<Box<dyn nvml::Nvml>> {
    #[cfg(feature = "fake-gpu")]
    if let Some(path) = &args.fake_devices {
        tracing::warn!(path = %path.display(), "using FAKE GPU devices (test build)");
        return Ok(Box::new(fake::FakeFile::open(path.clone())?));
    }
    let _ = args;
    Ok(Box::new(nvml_real::RealNvml::default()))
}

pub async fn run(args: AgentArgs) -> anyhow::Result<()> {
    let thresholds = health::Thresholds {
        max_temperature_celsius: args.max_temperature,
        // A single read has no history: report what it sees.
        transient_reads: if args.once { 1 } else { args.transient_reads },
    };
    let mut sampler = sample::Sampler::new(nvml_source(&args)?, thresholds);
    if args.once {
        return once(&mut sampler);
    }
    let node_name = args
        .node_name
        .clone()
        .context("--node-name (or env NODE_NAME) is required")?;
    let client = kube::Client::try_default()
        .await
        .context("building the Kubernetes client")?;
    let patcher = Arc::new(node::KubeNode::new(client, node_name.clone()));

    let mut registry = prometheus_client::registry::Registry::default();
    let gpu_metrics = metrics::GpuMetrics::register(&mut registry, &node_name);
    let ready = crate::telemetry::Readiness::default();
    // Installed before anything runs, so an early SIGTERM still exits cleanly.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut server_stop = stop_rx.clone();
    let server = tokio::spawn(crate::telemetry::serve(
        args.metrics_addr,
        Arc::new(registry),
        ready.clone(),
        async move {
            let _ = server_stop.wait_for(|s| *s).await;
        },
    ));
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        let _ = stop_tx.send(true);
    });

    tracing::info!(node = %node_name, interval = args.interval, "GPU agent started");
    let mut agent = tick::Agent::new(sampler, gpu_metrics, patcher, args.taint_unhealthy);
    let mut stop = stop_rx;
    let mut server = server;
    loop {
        // A tick stuck on a slow API server must not hold up shutdown; patches are idempotent.
        tokio::select! {
            _ = agent.tick() => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        ready.set(true);
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(args.interval)) => {}
            _ = stop.wait_for(|s| *s) => break,
            // The server only ends early on error (e.g. the port is taken).
            res = &mut server => return res.context("metrics server task")?,
        }
    }
    tracing::info!("GPU agent stopping");
    server.await.context("metrics server task")?
}

/// `--once`: one read, printed as JSON.
fn once(sampler: &mut sample::Sampler) -> anyhow::Result<()> {
    match sampler.sample() {
        sample::Sample::Read(snap) => {
            let out = serde_json::json!({ "healthy": snap.healthy(), "snapshot": snap });
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
        sample::Sample::Unavailable(e) => anyhow::bail!("NVML unavailable: {e}"),
        sample::Sample::Failed(e) => anyhow::bail!("cannot list GPUs: {e}"),
    }
}
