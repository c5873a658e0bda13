//! One polling task per Subnet: a snapshot every `pollIntervalSeconds` from the Subnet's
//! endpoint pool into the [`ChainCache`] (which refuses one older than its view), the pool's
//! endpoint states with it, and an event whenever something changed so the right objects get
//! reconciled.

use super::cache::{ChainCache, Change, SubnetKey};
use super::connect::ChainConnector;
use super::pool::{EndpointPool, PoolOptions};
use super::{AccountId, Chain, ChainError, SnapshotQuery};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
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

/// Each Subnet's current chain connection, shared with the money steps so they use the same
/// connection as the poller (and never open their own).
type Clients = Arc<Mutex<HashMap<SubnetKey, Arc<dyn Chain>>>>;

/// What each Subnet's snapshot reads for its Neurons beyond the subnet itself, by the name of
/// the Neuron that asked (a Neuron's ask replaces its previous one).
#[derive(Default)]
pub struct Interest(Mutex<HashMap<SubnetKey, Asks>>);

/// One Neuron's asks: the (hotkey, coldkey) pair whose own stake to read, and (validators)
/// the uid whose weights row to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ask {
    pub stake: Option<(AccountId, AccountId)>,
    pub weights_of: Option<u16>,
}

/// Asks by Neuron name.
type Asks = BTreeMap<String, Ask>;

/// A running poller: its config, its task and the bell that makes it poll now.
type Task = (PollConfig, JoinHandle<()>, Arc<Notify>);

impl Interest {
    /// Records `neuron`'s ask (an empty one forgets it); true when that changed anything.
    pub fn set(&self, key: &SubnetKey, neuron: &str, ask: Ask) -> bool {
        let mut map = self.0.lock().expect("interest lock");
        let of_subnet = map.entry(key.clone()).or_default();
        let before = of_subnet.get(neuron).copied().unwrap_or_default();
        if ask == Ask::default() {
            of_subnet.remove(neuron);
        } else {
            of_subnet.insert(neuron.to_string(), ask);
        }
        before != ask
    }

    /// Forgets a deleted Neuron's ask, whichever Subnet it was on.
    pub fn forget(&self, namespace: &str, neuron: &str) {
        let mut map = self.0.lock().expect("interest lock");
        for (key, asks) in map.iter_mut() {
            if key.namespace == namespace {
                asks.remove(neuron);
            }
        }
    }

    /// The snapshot query of `key`: its distinct pairs and uids, in a stable order.
    pub fn query(&self, key: &SubnetKey) -> SnapshotQuery {
        let map = self.0.lock().expect("interest lock");
        let asks = map.get(key);
        let mut stakes: Vec<(AccountId, AccountId)> = asks
            .into_iter()
            .flat_map(|m| m.values().filter_map(|a| a.stake))
            .collect();
        let mut weights: Vec<u16> = asks
            .into_iter()
            .flat_map(|m| m.values().filter_map(|a| a.weights_of))
            .collect();
        stakes.sort();
        stakes.dedup();
        weights.sort();
        weights.dedup();
        SnapshotQuery {
            stakes,
            weights,
            mechanisms: 1,
        }
    }
}

/// The running pollers, keyed by Subnet.
pub struct Pollers {
    connector: Arc<dyn ChainConnector>,
    cache: Arc<ChainCache>,
    events: mpsc::UnboundedSender<PollEvent>,
    tasks: Mutex<HashMap<SubnetKey, Task>>,
    clients: Clients,
    /// What the snapshots read for the Neurons (own stakes, weights rows).
    pub interest: Arc<Interest>,
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
            clients: Clients::default(),
            interest: Arc::default(),
        }
    }

    /// The Subnet's chain connection, once its poller has connected (None while disconnected).
    pub fn client(&self, key: &SubnetKey) -> Option<Arc<dyn Chain>> {
        self.clients.lock().expect("clients lock").get(key).cloned()
    }

    fn forget_client(&self, key: &SubnetKey) {
        self.clients.lock().expect("clients lock").remove(key);
    }

    /// Starts the Subnet's poller, or restarts it when its config changed. Idempotent.
    pub fn ensure(&self, key: &SubnetKey, config: PollConfig) {
        let mut tasks = self.tasks.lock().expect("pollers lock");
        if let Some((running, handle, _)) = tasks.get(key) {
            if *running == config && !handle.is_finished() {
                return;
            }
            handle.abort();
            // A new endpoint or netuid makes the old view meaningless.
            self.cache.remove(key);
            self.forget_client(key);
        }
        tracing::info!(subnet = %key, netuid = config.netuid, "starting chain poller");
        let wake = Arc::new(Notify::new());
        let handle = tokio::spawn(poll_loop(
            key.clone(),
            config.clone(),
            self.connector.clone(),
            self.cache.clone(),
            self.events.clone(),
            self.clients.clone(),
            (self.interest.clone(), wake.clone()),
        ));
        tasks.insert(key.clone(), (config, handle, wake));
    }

    /// Polls the Subnet now instead of at its next tick (e.g. a new own-stake pair to read).
    pub fn poll_now(&self, key: &SubnetKey) {
        if let Some((_, _, wake)) = self.tasks.lock().expect("pollers lock").get(key) {
            wake.notify_one();
        }
    }

    /// Stops the Subnet's poller (Subnet deleted) and forgets its chain view.
    pub fn stop(&self, key: &SubnetKey) {
        if let Some((_, handle, _)) = self.tasks.lock().expect("pollers lock").remove(key) {
            tracing::info!(subnet = %key, "stopping chain poller");
            handle.abort();
        }
        self.cache.remove(key);
        self.forget_client(key);
    }

    pub fn stop_all(&self) {
        for (_, (_, handle, _)) in self.tasks.lock().expect("pollers lock").drain() {
            handle.abort();
        }
        self.clients.lock().expect("clients lock").clear();
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

/// The Subnet's pool: one client per endpoint, measured when the connector measures.
fn connect_pool(
    key: &SubnetKey,
    endpoints: &[String],
    connector: &dyn ChainConnector,
) -> anyhow::Result<Arc<EndpointPool>> {
    let members = endpoints
        .iter()
        .map(|url| (url.clone(), connector.connect(url)))
        .collect();
    let pool = EndpointPool::new(
        key.clone(),
        members,
        PoolOptions::default(),
        connector.metrics(),
    );
    Ok(Arc::new(pool?))
}

/// Polls asked for between ticks (a new ask) come at most this often: a fleet that starts asks
/// once per Neuron, and one snapshot answers every ask made before it.
pub const WAKE_GAP: Duration = Duration::from_secs(1);

async fn poll_loop(
    key: SubnetKey,
    cfg: PollConfig,
    connector: Arc<dyn ChainConnector>,
    cache: Arc<ChainCache>,
    events: mpsc::UnboundedSender<PollEvent>,
    clients: Clients,
    (interest, wake): (Arc<Interest>, Arc<Notify>),
) {
    let mut ticker = tokio::time::interval(cfg.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A snapshot may take a while on a big subnet, but never longer than a few intervals.
    let deadline = (cfg.interval * 3).max(Duration::from_secs(10));
    // Kept for the poller's life: the pool follows its endpoints' health, and each client
    // reconnects by itself.
    let mut pool: Option<Arc<EndpointPool>> = None;
    let mut last_poll: Option<tokio::time::Instant> = None;
    loop {
        let woken = tokio::select! {
            _ = ticker.tick() => false,
            _ = wake.notified() => true,
        };
        // A tick polls at once; an ask waits out the gap since the last poll.
        let gap_left = last_poll.and_then(|t| WAKE_GAP.checked_sub(t.elapsed()));
        if let (true, Some(wait)) = (woken, gap_left) {
            tokio::time::sleep(wait).await;
        }
        // This poll answers every ask made until now: forget the bell they rang meanwhile.
        let _ = futures::FutureExt::now_or_never(wake.notified());
        last_poll = Some(tokio::time::Instant::now());
        let now = jiff::Timestamp::now();
        let pool = match &pool {
            Some(p) => p.clone(),
            None => match connect_pool(&key, &cfg.endpoints, connector.as_ref()) {
                Ok(p) => {
                    let chain: Arc<dyn Chain> = p.clone();
                    clients
                        .lock()
                        .expect("clients lock")
                        .insert(key.clone(), chain);
                    pool.insert(p).clone()
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
        let mut query = interest.query(&key);
        query.mechanisms = cache
            .get(&key)
            .and_then(|s| s.snapshot)
            .map_or(1, |s| s.params.mechanism_count);
        let (served_by, result) =
            match tokio::time::timeout(deadline, pool.snapshot_from(cfg.netuid, &query)).await {
                Ok(r) => r,
                Err(_) => (None, Err(ChainError::Timeout(deadline))),
            };
        let endpoint = served_by.unwrap_or_else(|| pool.endpoint());
        let mut change = match result {
            Ok(snap) => cache
                .record_snapshot(&key, endpoint.clone(), snap, now)
                .unwrap_or_else(|_| {
                    pool.discarded(&endpoint);
                    Change::default()
                }),
            Err(ChainError::SubnetNotFound(n)) => cache.record_missing(&key, n, endpoint, now),
            Err(e) => {
                tracing::warn!(subnet = %key, error = %e, "chain poll failed");
                cache.record_error(&key, cfg.netuid, e.to_string(), now)
            }
        };
        change.endpoints = cache.record_endpoints(&key, pool.report());
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
