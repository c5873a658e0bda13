//! One polling task per Subnet: `Chain::snapshot(netuid)` every `pollIntervalSeconds` into the
//! [`ChainCache`], and an event whenever something changed so the right objects get reconciled.

use super::cache::{ChainCache, ChainConnector, Change, SubnetKey};
use super::{Chain, ChainError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What a poller polls; a different config restarts the task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollConfig {
    pub netuid: u16,
    pub endpoints: Vec<String>,
    pub interval: Duration,
}

/// Sent after a poll that changed something.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollEvent {
    pub subnet: SubnetKey,
    pub change: Change,
}

/// The running pollers, keyed by Subnet.
pub struct Pollers {
    connector: Arc<dyn ChainConnector>,
    cache: Arc<ChainCache>,
    events: mpsc::UnboundedSender<PollEvent>,
    tasks: Mutex<HashMap<SubnetKey, (PollConfig, JoinHandle<()>)>>,
}

impl Pollers {
    pub fn new(
        connector: Arc<dyn ChainConnector>,
        cache: Arc<ChainCache>,
        events: mpsc::UnboundedSender<PollEvent>,
    ) -> Self {
        Self {
            connector,
            cache,
            events,
            tasks: Mutex::new(HashMap::new()),
        }
    }

    /// Starts the Subnet's poller, or restarts it when its config changed. Idempotent.
    pub fn ensure(&self, key: &SubnetKey, config: PollConfig) {
        let mut tasks = self.tasks.lock().expect("pollers lock");
        if let Some((running, handle)) = tasks.get(key) {
            if *running == config && !handle.is_finished() {
                return;
            }
            handle.abort();
            // A new endpoint or netuid makes the old view meaningless.
            self.cache.remove(key);
        }
        tracing::info!(subnet = %key, netuid = config.netuid, "starting chain poller");
        let handle = tokio::spawn(poll_loop(
            key.clone(),
            config.clone(),
            self.connector.clone(),
            self.cache.clone(),
            self.events.clone(),
        ));
        tasks.insert(key.clone(), (config, handle));
    }

    /// Stops the Subnet's poller (Subnet deleted) and forgets its chain view.
    pub fn stop(&self, key: &SubnetKey) {
        if let Some((_, handle)) = self.tasks.lock().expect("pollers lock").remove(key) {
            tracing::info!(subnet = %key, "stopping chain poller");
            handle.abort();
        }
        self.cache.remove(key);
    }

    pub fn stop_all(&self) {
        for (_, (_, handle)) in self.tasks.lock().expect("pollers lock").drain() {
            handle.abort();
        }
    }

    pub fn is_running(&self, key: &SubnetKey) -> bool {
        self.tasks.lock().expect("pollers lock").contains_key(key)
    }
}

impl Drop for Pollers {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// Connection failures and timeouts drop the client so the next tick reconnects.
fn needs_reconnect(e: &ChainError) -> bool {
    matches!(e, ChainError::Unreachable(_) | ChainError::Timeout(_))
}

async fn poll_loop(
    key: SubnetKey,
    cfg: PollConfig,
    connector: Arc<dyn ChainConnector>,
    cache: Arc<ChainCache>,
    events: mpsc::UnboundedSender<PollEvent>,
) {
    let mut ticker = tokio::time::interval(cfg.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A snapshot may take a while on a big subnet, but never longer than a few intervals.
    let deadline = (cfg.interval * 3).max(Duration::from_secs(10));
    let mut chain: Option<Arc<dyn Chain>> = None;
    loop {
        ticker.tick().await;
        let now = jiff::Timestamp::now();
        let client = match &chain {
            Some(c) => c.clone(),
            None => match connector.connect(&cfg.endpoints) {
                Ok(c) => {
                    chain = Some(c.clone());
                    c
                }
                Err(e) => {
                    tracing::warn!(subnet = %key, error = %e, "cannot connect to the chain");
                    send(
                        &events,
                        &key,
                        cache.record_error(&key, cfg.netuid, e.to_string(), now),
                    );
                    continue;
                }
            },
        };
        let result = tokio::time::timeout(deadline, client.snapshot(cfg.netuid))
            .await
            .unwrap_or(Err(ChainError::Timeout(deadline)));
        let change = match result {
            Ok(snap) => cache.record_snapshot(&key, client.endpoint(), snap, now),
            Err(ChainError::SubnetNotFound(n)) => {
                cache.record_missing(&key, n, client.endpoint(), now)
            }
            Err(e) => {
                tracing::warn!(subnet = %key, error = %e, "chain poll failed");
                if needs_reconnect(&e) {
                    chain = None;
                }
                cache.record_error(&key, cfg.netuid, e.to_string(), now)
            }
        };
        send(&events, &key, change);
    }
}

fn send(events: &mpsc::UnboundedSender<PollEvent>, key: &SubnetKey, change: Change) {
    if !change.is_empty() {
        // The receiver only goes away at shutdown.
        let _ = events.send(PollEvent {
            subnet: key.clone(),
            change,
        });
    }
}

#[cfg(test)]
#[path = "poller_tests.rs"]
mod tests;
