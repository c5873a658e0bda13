//! Shared by the live chain tests (`chain_live*.rs`): the node and coldkey from the
//! environment, fresh keys, transaction parameters and setup calls signed with
//! `SubxtChain::submit_signed`, and chopsticks' `dev_setStorage` for shaping a devnet.
#![allow(dead_code)] // each test file uses a subset

use std::str::FromStr;
use std::sync::Arc;

use subxt::backend::LegacyBackend;
use subxt::ext::scale_value::Value;
use subxt::rpcs::{rpc_params, RpcClient};
use subxt::OnlineClient;
use subxt_signer::sr25519::Keypair;
use subxt_signer::SecretUri;

use tensorfleet::chain::client::calls::{CallSpec, SUBTENSOR};
use tensorfleet::chain::client::config::SubtensorConfig;
use tensorfleet::chain::client::storage;
use tensorfleet::chain::client::{ConnectOptions, SubxtChain};
use tensorfleet::chain::{
    AccountId, Chain, RegisterRequest, Signer, SnapshotQuery, StakeRequest, TxOutcome, TxParams,
    TxResult,
};

pub struct Live {
    pub chain: SubxtChain,
    pub coldkey: Keypair,
    pub netuid: u16,
    pub url: String,
}

/// The live setup, or `None` (after a skip line) when the environment does not name a node.
pub fn live(test: &str) -> Option<Live> {
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
        url: url.clone(),
    })
}

pub fn fresh_key() -> Keypair {
    use rand::RngCore;
    let mut seed = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut seed);
    Keypair::from_secret_key(seed).unwrap()
}

pub fn id(k: &Keypair) -> AccountId {
    AccountId(k.public_key().0)
}

pub async fn tx(chain: &SubxtChain, who: &AccountId) -> TxParams {
    let nonce = chain.account_nonce(who).await.unwrap();
    let head = chain.head().await.unwrap();
    TxParams {
        nonce,
        birth_block: head,
        period: 64,
    }
}

fn account(a: &AccountId) -> Value {
    Value::unnamed_variant("Id", [Value::from_bytes(a.0)])
}

/// Setup as the coldkey: any call, which must succeed.
pub async fn setup_call(l: &Live, call: CallSpec) -> TxOutcome {
    let what = format!("{}.{}", call.pallet, call.call);
    let t = tx(&l.chain, &id(&l.coldkey)).await;
    let o = l.chain.submit_signed(call, &l.coldkey, &t).await.unwrap();
    assert_eq!(o.result, TxResult::Success, "{what}: {o:?}");
    o
}

/// Setup as the coldkey: `Balances.transfer_keep_alive(to, rao)`.
pub async fn fund(l: &Live, to: &AccountId, rao: u64) {
    let call = CallSpec {
        pallet: "Balances",
        call: "transfer_keep_alive",
        fields: vec![("dest", account(to)), ("value", Value::u128(rao.into()))],
    };
    setup_call(l, call).await;
}

/// Setup as the coldkey: `Proxy.add_proxy(delegate, proxy_type, 0)`.
pub async fn add_proxy(l: &Live, delegate: &AccountId, proxy_type: &str) {
    let call = CallSpec {
        pallet: "Proxy",
        call: "add_proxy",
        fields: vec![
            ("delegate", account(delegate)),
            ("proxy_type", Value::unnamed_variant(proxy_type, [])),
            ("delay", Value::u128(0)),
        ],
    };
    setup_call(l, call).await;
}

/// A limit comfortably above the current burn.
pub async fn cap(l: &Live) -> u64 {
    let snap = l
        .chain
        .snapshot(l.netuid, &SnapshotQuery::default())
        .await
        .unwrap();
    assert!(
        snap.params.registration_allowed,
        "registration disabled on {}",
        l.netuid
    );
    snap.params.burn.saturating_mul(2).max(snap.params.min_burn)
}

/// A fresh hotkey registered by the coldkey; returns it and its uid.
pub async fn registered_hotkey(l: &Live) -> (Keypair, u16) {
    let signer = Signer::Key(l.coldkey.clone());
    let hot = fresh_key();
    let req = RegisterRequest {
        netuid: l.netuid,
        hotkey: id(&hot),
        limit_rao: cap(l).await,
        signer: &signer,
        tx: tx(&l.chain, &signer.payer()).await,
    };
    let o = l.chain.register(&req).await.unwrap();
    assert_eq!(o.result, TxResult::Success, "register: {o:?}");
    let uid = l.chain.uid_of(l.netuid, &id(&hot)).await.unwrap();
    (hot, uid.expect("registered"))
}

/// `signer` stakes `rao` TAO on `hotkey` (no price limit); returns the outcome.
pub async fn stake(l: &Live, signer: &Signer, hotkey: AccountId, rao: u64) -> TxOutcome {
    let req = StakeRequest {
        netuid: l.netuid,
        hotkey,
        amount_rao: rao,
        limit: None,
        signer,
        tx: tx(&l.chain, &signer.signer_account()).await,
    };
    let o = l.chain.add_stake(&req).await.unwrap();
    assert_eq!(o.result, TxResult::Success, "add_stake: {o:?}");
    o
}

/// A subxt client of our own (metadata, storage keys), on the legacy backend as ours is.
pub async fn online(l: &Live) -> OnlineClient<SubtensorConfig> {
    let rpc = RpcClient::from_insecure_url(&l.url).await.unwrap();
    let backend = LegacyBackend::builder().build(rpc);
    OnlineClient::from_backend_with_config(SubtensorConfig::online(), Arc::new(backend))
        .await
        .unwrap()
}

/// Whether the node is chopsticks (it lists `dev_setStorage`): tests that reshape the chain
/// skip elsewhere.
pub async fn can_set_storage(l: &Live, test: &str) -> bool {
    let rpc = RpcClient::from_insecure_url(&l.url).await.unwrap();
    let methods: serde_json::Value = rpc.request("rpc_methods", rpc_params![]).await.unwrap();
    let has = methods["methods"]
        .as_array()
        .is_some_and(|m| m.iter().any(|x| x == "dev_setStorage"));
    if !has {
        println!("skip {test}: the node has no dev_setStorage (not a chopsticks devnet)");
    }
    has
}

/// chopsticks' `dev_setStorage` of `SubtensorModule::entry(netuid) = value` (u64 maps keyed by
/// netuid), the key built from the node's metadata as our client builds it. Errors on a node
/// that is not chopsticks.
pub async fn set_subnet_u64(l: &Live, entry: &'static str, value: u64) {
    let client = online(l).await;
    let at = client.at_current_block().await.unwrap();
    let read = storage::key(&at, SUBTENSOR, entry, (l.netuid,)).unwrap();
    let bytes = storage::encode_value(at.metadata_ref(), SUBTENSOR, entry, &value).unwrap();
    let pair = vec![vec![
        format!("0x{}", hex::encode(&read.key)),
        format!("0x{}", hex::encode(bytes)),
    ]];
    let rpc = RpcClient::from_insecure_url(&l.url).await.unwrap();
    let _: serde_json::Value = rpc
        .request("dev_setStorage", rpc_params![pair])
        .await
        .unwrap_or_else(|e| panic!("dev_setStorage {entry}: {e} (is this chopsticks?)"));
}
