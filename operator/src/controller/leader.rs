//! Leader election on a `coordination.k8s.io` Lease through `kube-lease-manager` (kube 5 has no
//! leader election of its own): only the holder reconciles, so two replicas are safe.

use kube::Client;
use kube_lease_manager::{LeaseManagerBuilder, LeaseParams};
use tokio::sync::watch;

pub struct LeaseConfig {
    pub name: String,
    pub namespace: String,
    pub identity: String,
    pub duration_seconds: u64,
}

/// Holds the Lease while alive; dropping it releases the Lease for the next replica.
pub struct Leadership {
    state: watch::Receiver<bool>,
    task: tokio::task::JoinHandle<kube_lease_manager::Result<kube_lease_manager::LeaseManager>>,
}

impl Leadership {
    /// Waits until this replica holds the Lease (or `shutdown` fires first: `Ok(None)`).
    pub async fn acquire(
        client: Client,
        cfg: &LeaseConfig,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<Option<Self>> {
        // Renew a third of the duration before expiry: tolerates that much clock skew.
        let grace = (cfg.duration_seconds / 3).max(1);
        let manager = LeaseManagerBuilder::new(client, &cfg.name)
            .with_namespace(&cfg.namespace)
            .with_parameters(
                LeaseParams::new(&cfg.identity, cfg.duration_seconds, grace)
                    .with_field_manager(format!("tensorfleet-lease-{}", cfg.identity)),
            )
            .build()
            .await?;
        let (mut state, task) = manager.watch().await;
        tracing::info!(lease = %cfg.name, namespace = %cfg.namespace, identity = %cfg.identity, "waiting for leadership");
        tokio::pin!(shutdown);
        loop {
            if *state.borrow_and_update() {
                tracing::info!(identity = %cfg.identity, "became leader");
                return Ok(Some(Self { state, task }));
            }
            tokio::select! {
                changed = state.changed() => changed.map_err(|_| anyhow::anyhow!("lease manager stopped"))?,
                _ = &mut shutdown => return Ok(None),
            }
        }
    }

    /// Resolves when leadership is lost (the Lease was taken or could not be renewed).
    pub async fn lost(&mut self) {
        while *self.state.borrow_and_update() {
            if self.state.changed().await.is_err() {
                return;
            }
        }
    }

    /// Releases the Lease so a standby takes over without waiting for it to expire.
    pub async fn release(self) {
        drop(self.state);
        match self.task.await {
            Ok(Ok(_)) => tracing::info!("released the lease"),
            Ok(Err(e)) => tracing::warn!(error = %e, "releasing the lease failed"),
            Err(e) => tracing::warn!(error = %e, "lease task failed"),
        }
    }
}
