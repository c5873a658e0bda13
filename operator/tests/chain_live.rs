//! Live tests against a real Subtensor node. They run only when `TF_TEST_SUBTENSOR_URL`,
//! `TF_TEST_COLDKEY_URI` (a funded coldkey, e.g. `//Alice` on a devnet) and `TF_TEST_NETUID`
//! are set; otherwise each prints a skip line and passes.

use std::str::FromStr;

use subxt_signer::sr25519::Keypair;
use subxt_signer::SecretUri;

use tensorfleet::chain::client::{ConnectOptions, SubxtChain};
use tensorfleet::chain::{
    AccountId, Chain, RegisterRequest, ServeAxonRequest, Signer, StakeRequest, TxParams, TxResult,
};

struct Live {
    chain: SubxtChain,
    coldkey: Keypair,
    netuid: u16,
}

fn live(test: &str) -> Option<Live> {
    let vars = [
        "TF_TEST_SUBTENSOR_URL",
        "TF_TEST_COLDKEY_URI",
        "TF_TEST_NETUID",
    ];
    let vals: Vec<_> = vars.iter().map(|v| std::env::var(v).ok()).collect();
    let [Some(url), Some(uri), Some(netuid)] = &vals[..] else {
        println!("skip {test}: set {} to run against a node", vars.join(", "));
        return None;
    };
    let coldkey =
        Keypair::from_uri(&SecretUri::from_str(uri).expect("TF_TEST_COLDKEY_URI")).unwrap();
    let chain = SubxtChain::new(vec![url.clone()], ConnectOptions::default()).unwrap();
    Some(Live {
        chain,
        coldkey,
        netuid: netuid.parse().expect("TF_TEST_NETUID"),
    })
}

fn fresh_hotkey() -> Keypair {
    use rand::RngCore;
    let mut seed = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut seed);
    Keypair::from_secret_key(seed).unwrap()
}

async fn tx(chain: &SubxtChain, who: &AccountId) -> TxParams {
    let nonce = chain.account_nonce(who).await.unwrap();
    let head = chain.head().await.unwrap();
    TxParams {
        nonce,
        birth_block: head,
        period: 64,
    }
}

#[tokio::test]
async fn live_register_stake_serve_and_read_back() {
    let Some(l) = live("live_register_stake_serve_and_read_back") else {
        return;
    };
    let (chain, netuid) = (&l.chain, l.netuid);
    let signer = Signer::Key(l.coldkey.clone());
    let payer = signer.payer();
    let hot = fresh_hotkey();
    let hotkey = AccountId(hot.public_key().0);

    let snap = chain.snapshot(netuid).await.unwrap();
    assert!(
        snap.params.registration_allowed,
        "registration disabled on {netuid}"
    );
    let cap = snap.params.burn.saturating_mul(2).max(snap.params.min_burn);
    assert_eq!(chain.uid_of(netuid, &hotkey).await.unwrap(), None);

    let req = RegisterRequest {
        netuid,
        hotkey,
        limit_rao: cap,
        signer: &signer,
        tx: tx(chain, &payer).await,
    };
    let o = chain.register(&req).await.unwrap();
    assert_eq!(o.result, TxResult::Success, "{o:?}");
    assert!(o.burned_rao > 0 && o.burned_rao <= cap, "{o:?}");
    let uid = chain
        .uid_of(netuid, &hotkey)
        .await
        .unwrap()
        .expect("registered");

    // A second registration of the same hotkey is refused by the chain; no burn is paid.
    let req = RegisterRequest {
        tx: tx(chain, &payer).await,
        limit_rao: u64::MAX / 2,
        ..req
    };
    let again = chain.register(&req).await.unwrap();
    assert_eq!(
        again.result.label(),
        "HotKeyAlreadyRegisteredInSubNet",
        "{again:?}"
    );
    assert_eq!(again.burned_rao, 0);

    let stake = StakeRequest {
        netuid,
        hotkey,
        amount_rao: 100_000_000,
        signer: &signer,
        tx: tx(chain, &payer).await,
    };
    let s = chain.add_stake(&stake).await.unwrap();
    assert_eq!(s.result, TxResult::Success, "{s:?}");

    let ip = "203.0.113.10".parse().unwrap();
    let serve = ServeAxonRequest {
        netuid,
        hotkey: &hot,
        ip,
        port: 8091,
        version: 1,
        tx: tx(chain, &hotkey).await,
    };
    let a = chain.serve_axon(&serve).await.unwrap();
    assert_eq!(a.result, TxResult::Success, "{a:?}");

    let snap = chain.snapshot(netuid).await.unwrap();
    let n = snap.neuron_by_hotkey(&hotkey).expect("in snapshot");
    assert_eq!(n.uid, uid);
    assert!(n.stake > 0, "{n:?}");
    assert!(
        n.registered_at_block >= req.tx.birth_block.saturating_sub(64),
        "{n:?}"
    );
    let axon = n.axon.as_ref().expect("axon served");
    assert_eq!((axon.ip, axon.port), (ip, 8091));
}

#[tokio::test]
async fn live_register_refused_above_cap_without_signing() {
    let Some(l) = live("live_register_refused_above_cap_without_signing") else {
        return;
    };
    let signer = Signer::Key(l.coldkey.clone());
    let hotkey = AccountId(fresh_hotkey().public_key().0);
    let before = l.chain.account_nonce(&signer.payer()).await.unwrap();
    let req = RegisterRequest {
        netuid: l.netuid,
        hotkey,
        limit_rao: 0,
        signer: &signer,
        tx: tx(&l.chain, &signer.payer()).await,
    };
    match l.chain.register(&req).await {
        Err(tensorfleet::chain::ChainError::BurnAboveLimit { limit: 0, .. }) => {
            // Refused before signing: nothing was submitted, the nonce did not move.
            assert_eq!(
                l.chain.account_nonce(&signer.payer()).await.unwrap(),
                before
            );
        }
        // register_limit runtimes refuse on chain, atomically.
        Ok(o) => assert_eq!(o.result.label(), "RegistrationPriceLimitExceeded", "{o:?}"),
        Err(e) => panic!("{e}"),
    }
    assert_eq!(l.chain.uid_of(l.netuid, &hotkey).await.unwrap(), None);
}
