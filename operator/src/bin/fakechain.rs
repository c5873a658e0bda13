//! `tensorfleet-fakechain`: serves a fake Subtensor chain over HTTP for end-to-end tests of the
//! `tensorfleet` binary (endpoint `fake+http://ADDR`). Test tooling only; built with
//! `--features fake-chain`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tensorfleet::chain::fake::{server, FakeChain, Genesis};

#[derive(Parser)]
#[command(
    name = "tensorfleet-fakechain",
    about = "Fake Subtensor chain for tests"
)]
struct Args {
    /// Address to listen on (port 0 picks a free one; the bound address is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:9944")]
    listen: SocketAddr,
    /// Advance the head by one block every N milliseconds (default: only via /admin/advance).
    #[arg(long)]
    block_ms: Option<u64>,
    /// Genesis file (YAML or JSON): head, runtime, subnets, balances, proxies.
    #[arg(long)]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let genesis: Genesis = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            // JSON first: serde_yaml will not read quoted map keys ("1") as netuids.
            let parsed = if text.trim_start().starts_with('{') {
                serde_json::from_str(&text).map_err(anyhow::Error::from)
            } else {
                serde_yaml::from_str(&text).map_err(anyhow::Error::from)
            };
            parsed.with_context(|| format!("parsing {}", path.display()))?
        }
        None => Genesis::default(),
    };
    let chain = FakeChain::new(genesis);
    if let Some(ms) = args.block_ms.filter(|ms| *ms > 0) {
        server::spawn_ticker(chain.clone(), Duration::from_millis(ms));
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    // The e2e helper reads this line to learn the port.
    println!("listening on http://{addr}");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    axum::serve(listener, server::router(chain))
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving")
}
