//! The poller against a scripted chain (only `snapshot` is used by the poller).

use super::*;
use crate::chain::{
    AccountId, ColdkeySwap, RegisterRequest, ServeAxonRequest, StakeRequest, SubnetParams,
    SubnetSnapshot, TxOutcome,
};
use async_trait::async_trait;
use std::collections::VecDeque;

struct Scripted {
    answers: Mutex<VecDeque<Result<SubnetSnapshot, ChainError>>>,
    /// When each snapshot was asked for.
    asked: Mutex<Vec<tokio::time::Instant>>,
}

fn scripted(answers: impl IntoIterator<Item = Result<SubnetSnapshot, ChainError>>) -> Scripted {
    Scripted {
        answers: Mutex::new(answers.into_iter().collect()),
        asked: Mutex::default(),
    }
}

#[async_trait]
impl Chain for Scripted {
    async fn head(&self) -> Result<u64, ChainError> {
        Err(ChainError::Unsupported("head".into()))
    }
    async fn snapshot(&self, _: u16, _: &SnapshotQuery) -> Result<SubnetSnapshot, ChainError> {
        self.asked.lock().unwrap().push(tokio::time::Instant::now());
        let mut a = self.answers.lock().unwrap();
        // The last answer repeats once the script is exhausted.
        if a.len() > 1 {
            a.pop_front().unwrap()
        } else {
            a.front().cloned().unwrap()
        }
    }
    async fn uid_of(&self, _: u16, _: &AccountId) -> Result<Option<u16>, ChainError> {
        Err(ChainError::Unsupported("uid_of".into()))
    }
    async fn free_balance(&self, _: &AccountId) -> Result<u64, ChainError> {
        Err(ChainError::Unsupported("free_balance".into()))
    }
    async fn account_nonce(&self, _: &AccountId) -> Result<u64, ChainError> {
        Err(ChainError::Unsupported("account_nonce".into()))
    }
    async fn coldkey_swap(&self, _: &AccountId) -> Result<Option<ColdkeySwap>, ChainError> {
        Err(ChainError::Unsupported("coldkey_swap".into()))
    }
    async fn register(&self, _: &RegisterRequest<'_>) -> Result<TxOutcome, ChainError> {
        Err(ChainError::Unsupported("register".into()))
    }
    async fn add_stake(&self, _: &StakeRequest<'_>) -> Result<TxOutcome, ChainError> {
        Err(ChainError::Unsupported("add_stake".into()))
    }
    async fn remove_stake(&self, _: &StakeRequest<'_>) -> Result<TxOutcome, ChainError> {
        Err(ChainError::Unsupported("remove_stake".into()))
    }
    async fn serve_axon(&self, _: &ServeAxonRequest<'_>) -> Result<TxOutcome, ChainError> {
        Err(ChainError::Unsupported("serve_axon".into()))
    }
    async fn find_tx(
        &self,
        _: &crate::chain::FindTx,
    ) -> Result<Option<crate::chain::FoundTx>, ChainError> {
        Err(ChainError::Unsupported("find_tx".into()))
    }
    fn endpoint(&self) -> String {
        "ws://scripted".into()
    }
}

struct Connector {
    chain: Arc<Scripted>,
    fail_first: Mutex<u32>,
}

impl ChainConnector for Connector {
    fn connect(&self, endpoint: &str) -> anyhow::Result<Arc<dyn Chain>> {
        let mut f = self.fail_first.lock().unwrap();
        if *f > 0 {
            *f -= 1;
            anyhow::bail!("no chain client for {endpoint}");
        }
        Ok(self.chain.clone())
    }
}

fn snap(block: u64, incentive: f64) -> SubnetSnapshot {
    SubnetSnapshot {
        netuid: 21,
        block,
        params: SubnetParams {
            burn: 5,
            ..Default::default()
        },
        neurons: vec![crate::chain::cache::tests::info(1, incentive)],
        pool: None,
        stakes: Vec::new(),
        weights: Vec::new(),
        mechanism_last_update: Vec::new(),
    }
}

fn key() -> SubnetKey {
    SubnetKey {
        namespace: "ns".into(),
        name: "sn".into(),
    }
}

#[tokio::test]
async fn polls_into_cache_and_reports_only_changes() {
    let chain = Arc::new(scripted([
        Ok(snap(1, 0.0)),
        Ok(snap(2, 0.0)), // block only: an event with the span alone
        Ok(snap(3, 0.5)), // figure changed
        Err(ChainError::Unreachable("gone".into())),
        Ok(snap(5, 0.5)), // back: subnet-level event
    ]));
    let cache = Arc::new(ChainCache::new());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let connector = Arc::new(Connector {
        chain,
        fail_first: Mutex::new(1),
    });
    let pollers = Pollers::new(connector, cache.clone(), tx);
    let cfg = PollConfig {
        netuid: 21,
        endpoints: vec!["ws://x".into()],
        interval: Duration::from_millis(20),
    };
    pollers.ensure(&key(), cfg.clone());
    pollers.ensure(&key(), cfg.clone()); // idempotent
    let mut events = Vec::new();
    for _ in 0..6 {
        events.push(rx.recv().await.unwrap().change);
    }
    // connect failure, first snapshot, block only, figure change, unreachable, reachable again
    let subnet_flags: Vec<bool> = events.iter().map(|c| c.subnet).collect();
    assert_eq!(subnet_flags, [true, true, false, false, true, true]);
    assert_eq!(events[2].span, Some((1, 2)));
    assert!(events[2].hotkeys.is_empty());
    assert_eq!(events[3].hotkeys.len(), 1);
    let state = cache.get(&key()).unwrap();
    assert!(state.reachable);
    assert_eq!(state.snapshot.unwrap().block, 5);
    assert!(pollers.is_running(&key()));
    // The money steps get the poller's own (re)connected client.
    assert!(pollers.client(&key()).is_some());
    pollers.stop(&key());
    assert!(!pollers.is_running(&key()));
    assert!(cache.get(&key()).is_none());
    assert!(pollers.client(&key()).is_none());
}

#[tokio::test(start_paused = true)]
async fn asks_between_ticks_poll_at_most_once_per_wake_gap() {
    let chain = Arc::new(scripted([Ok(snap(1, 0.0))]));
    let (tx, _rx) = mpsc::unbounded_channel();
    let connector = Arc::new(Connector {
        chain: chain.clone(),
        fail_first: Mutex::new(0),
    });
    let pollers = Pollers::new(connector, Arc::new(ChainCache::new()), tx);
    let cfg = PollConfig {
        netuid: 21,
        endpoints: vec!["ws://x".into()],
        interval: Duration::from_secs(60),
    };
    let t0 = tokio::time::Instant::now();
    pollers.ensure(&key(), cfg);
    // An ask every 100 ms until 2.9 s, as the Neurons of a starting fleet make them.
    for _ in 0..29 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        pollers.poll_now(&key());
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let at: Vec<u128> = chain
        .asked
        .lock()
        .unwrap()
        .iter()
        .map(|t| (*t - t0).as_millis())
        .collect();
    // The first tick at once, then one poll per gap while asks keep coming, and the last ask
    // answered within a gap; never a poll per ask.
    assert_eq!(at, [0, 1000, 2000, 3000], "snapshots at (ms)");
}
