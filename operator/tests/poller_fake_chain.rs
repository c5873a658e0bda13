//! Chain poller + cache + the Neuron decision against the in-process fake chain: registration,
//! figure changes, an outage and deregistration reach the cache as events, and the decision
//! follows (pod only while registered, kept through an outage).
#![cfg(feature = "fake-chain")]

use std::sync::Arc;
use std::time::Duration;
use tensorfleet::chain::fake::{FakeChain, Genesis, SubnetConfig};
use tensorfleet::chain::poller::{PollConfig, PollEvent, Pollers};
use tensorfleet::chain::{AccountId, Chain, ChainCache};
use tensorfleet::chain::{ChainConnector, SubnetKey};
use tensorfleet::decide::{decide_neuron, ChainFacts, NeuronFacts};
use tokio::sync::mpsc::UnboundedReceiver;

const NETUID: u16 = 21;

struct Connect(Arc<FakeChain>);

impl ChainConnector for Connect {
    fn connect(&self, _endpoint: &str) -> anyhow::Result<Arc<dyn Chain>> {
        Ok(self.0.clone())
    }
}

fn key() -> SubnetKey {
    SubnetKey {
        namespace: "miners".into(),
        name: "sn21".into(),
    }
}

/// The next event, failing the test after 5 s.
async fn next(rx: &mut UnboundedReceiver<PollEvent>) -> PollEvent {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a poll event within 5 s")
        .expect("poller alive")
}

/// What the Neuron reconcile would decide from the cache for `hotkey`.
fn decide(cache: &ChainCache, hotkey: &AccountId, previously_registered: bool) -> (i32, String) {
    let state = cache.get(&key()).expect("polled");
    let chain = if state.reachable {
        let snap = state.snapshot.as_ref().expect("snapshot");
        ChainFacts::Polled {
            uid: snap.neuron_by_hotkey(hotkey).map(|n| n.uid),
        }
    } else {
        ChainFacts::Unreachable(state.last_error.clone().unwrap_or_default())
    };
    let d = decide_neuron(&NeuronFacts {
        blocker: None,
        suspended: false,
        chain,
        previously_registered,
        registration_pending: false,
        external_registration: true,
        pod: None,
    });
    (d.replicas, format!("{:?}", d.phase))
}

#[tokio::test]
async fn chain_changes_flow_through_the_cache_into_decisions() {
    let mut genesis = Genesis {
        head: 1000,
        ..Genesis::default()
    };
    genesis.subnets.insert(NETUID, SubnetConfig::default());
    let chain = Arc::new(FakeChain::new(genesis));
    let cache = Arc::new(ChainCache::new());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let pollers = Pollers::new(Arc::new(Connect(chain.clone())), cache.clone(), tx);
    let cfg = PollConfig {
        netuid: NETUID,
        endpoints: vec!["ws://fake".into()],
        interval: Duration::from_millis(20),
    };
    pollers.ensure(&key(), cfg);
    let hotkey = AccountId([7; 32]);

    // First answer: the Subnet is news, the hotkey is not registered.
    assert!(next(&mut rx).await.change.subnet);
    assert_eq!(decide(&cache, &hotkey, false), (0, "Pending".into()));

    // Registered by someone else: exactly that hotkey is reported, and it gets its pod.
    chain
        .with_state(|s| s.register_external(NETUID, hotkey, None, false))
        .unwrap();
    let ev = next(&mut rx).await;
    assert!(ev.change.hotkeys.contains(&hotkey), "{ev:?}");
    assert_eq!(decide(&cache, &hotkey, false), (1, "Registered".into()));

    // A figure change is an event for that hotkey only, without a Subnet-level change.
    chain
        .with_state(|s| s.set_figures(NETUID, &hotkey, &serde_json::json!({"incentive": 0.5})))
        .unwrap();
    let ev = next(&mut rx).await;
    assert!(
        !ev.change.subnet && ev.change.hotkeys.contains(&hotkey),
        "{ev:?}"
    );
    let snap = cache.get(&key()).unwrap().snapshot.unwrap();
    assert_eq!(snap.neuron_by_hotkey(&hotkey).unwrap().incentive, 0.5);

    // Outage: one Subnet-level event; the pod stays (last known state).
    chain.with_faults(|f| f.unreachable = true);
    assert!(next(&mut rx).await.change.subnet);
    assert!(!cache.get(&key()).unwrap().reachable);
    assert_eq!(decide(&cache, &hotkey, true), (1, "Registered".into()));
    chain.with_faults(|f| f.unreachable = false);
    assert!(next(&mut rx).await.change.subnet);

    // Deregistered: the hotkey is reported and the pod goes.
    chain
        .with_state(|s| s.deregister(NETUID, &hotkey, None))
        .unwrap();
    let ev = next(&mut rx).await;
    assert!(ev.change.hotkeys.contains(&hotkey), "{ev:?}");
    assert_eq!(decide(&cache, &hotkey, true), (0, "Deregistered".into()));

    pollers.stop(&key());
    assert!(cache.get(&key()).is_none());
}
