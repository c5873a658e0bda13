//! Where endpoint URLs become chain clients, one per endpoint: the pool of a Subnet
//! (`pool::EndpointPool`) is built from these.

use super::metered::{ChainMetrics, Metered};
use super::Chain;
use std::sync::Arc;

/// Creates the client of one endpoint; injected so tests use an in-process fake.
pub trait ChainConnector: Send + Sync {
    fn connect(&self, endpoint: &str) -> anyhow::Result<Arc<dyn Chain>>;

    /// The metrics the pools built from these clients report into (None: not measured).
    fn metrics(&self) -> Option<ChainMetrics> {
        None
    }
}

/// The shipped connector, delegating to [`connect_endpoint`].
pub struct EndpointConnector;

impl ChainConnector for EndpointConnector {
    fn connect(&self, endpoint: &str) -> anyhow::Result<Arc<dyn Chain>> {
        connect_endpoint(endpoint)
    }
}

/// Wraps every client of `inner` in [`Metered`]; the pools report into the same metrics.
pub struct MeteredConnector {
    pub inner: Arc<dyn ChainConnector>,
    pub metrics: ChainMetrics,
}

impl ChainConnector for MeteredConnector {
    fn connect(&self, endpoint: &str) -> anyhow::Result<Arc<dyn Chain>> {
        let chain = self.inner.connect(endpoint)?;
        Ok(Arc::new(Metered::new(chain, self.metrics.clone())))
    }

    fn metrics(&self) -> Option<ChainMetrics> {
        Some(self.metrics.clone())
    }
}

/// `fake+http://` → the remote fake chain (only in builds with the `fake-chain` feature);
/// ws/wss → the subxt client for that one URL, connected lazily (it reconnects with backoff
/// by itself; choosing among endpoints is the pool's job).
pub fn connect_endpoint(url: &str) -> anyhow::Result<Arc<dyn Chain>> {
    match endpoint_kind(url) {
        EndpointKind::Fake => connect_fake(url),
        EndpointKind::Substrate => {
            let opts = super::client::ConnectOptions::default();
            Ok(Arc::new(super::client::SubxtChain::new(
                vec![url.to_string()],
                opts,
            )?))
        }
        EndpointKind::Unknown => {
            anyhow::bail!(
                "unsupported chain endpoint {:?}: expected ws://, wss:// or fake+http://",
                super::redact::redact_url(url)
            )
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum EndpointKind {
    Fake,
    Substrate,
    Unknown,
}

fn endpoint_kind(url: &str) -> EndpointKind {
    if url.starts_with("fake+http://") {
        EndpointKind::Fake
    } else if url.starts_with("ws://") || url.starts_with("wss://") {
        EndpointKind::Substrate
    } else {
        EndpointKind::Unknown
    }
}

#[cfg(feature = "fake-chain")]
fn connect_fake(url: &str) -> anyhow::Result<Arc<dyn Chain>> {
    Ok(Arc::new(super::remote::RemoteFakeChain::new(url)?))
}

#[cfg(not(feature = "fake-chain"))]
fn connect_fake(url: &str) -> anyhow::Result<Arc<dyn Chain>> {
    anyhow::bail!(
        "endpoint {}: fake+http:// endpoints need a build with the fake-chain feature (tests only)",
        super::redact::redact_url(url)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_kinds() {
        let cases = [
            ("fake+http://127.0.0.1:1", EndpointKind::Fake),
            ("ws://127.0.0.1:9944", EndpointKind::Substrate),
            (
                "wss://entrypoint-finney.opentensor.ai:443",
                EndpointKind::Substrate,
            ),
            ("http://x", EndpointKind::Unknown),
        ];
        for (url, want) in cases {
            assert_eq!(endpoint_kind(url), want, "{url}");
        }
    }

    #[test]
    fn connect_errors_are_clear() {
        let err = |url: &str| match connect_endpoint(url) {
            Ok(_) => String::from("connected"),
            Err(e) => e.to_string(),
        };
        // The subxt client connects lazily: nothing listens here and no request is made.
        assert_eq!(err("ws://127.0.0.1:9"), "connected");
        assert!(err("http://x").contains("unsupported chain endpoint"));
        // A key in the URL is not repeated in the error.
        let e = err("https://user:hunter2@x/?apikey=s3cr3t");
        assert!(!e.contains("hunter2") && !e.contains("s3cr3t"), "{e}");
        let fake = err("fake+http://127.0.0.1:1");
        if cfg!(feature = "fake-chain") {
            assert_eq!(fake, "connected");
        } else {
            assert!(fake.contains("fake-chain feature"), "{fake}");
        }
    }
}
