//! The Kubernetes client of `tensorfleet run`: from `--kubeconfig`, else inferred (`$KUBECONFIG`,
//! `~/.kube/config`, in-cluster), with a deadline on every request ([`super::deadline`]).

use super::deadline::DeadlineLayer;
use std::path::Path;
use std::time::Duration;

pub async fn client(
    kubeconfig: Option<&Path>,
    request_timeout: Duration,
) -> anyhow::Result<kube::Client> {
    let config = match kubeconfig {
        Some(path) if path.exists() => {
            let kc = kube::config::Kubeconfig::read_from(path)?;
            kube::Config::from_custom_kubeconfig(kc, &Default::default()).await?
        }
        _ => kube::Config::infer().await?,
    };
    Ok(kube::client::ClientBuilder::try_from(config)?
        .with_layer(&DeadlineLayer {
            limit: request_timeout,
        })
        .build())
}
