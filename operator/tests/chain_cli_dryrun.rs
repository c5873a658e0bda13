//! The chain CLI's command logic over the FakeChain: dry runs print cost, balance and what
//! would be signed and submit nothing; `--yes` submits within the cap only.
#![cfg(feature = "fake-chain")]

use serde_json::Value;
use subxt_signer::sr25519::Keypair;

use tensorfleet::chain::fake::{FakeChain, Genesis, SubnetConfig, TAO};
use tensorfleet::chain::{AccountId, Chain, Signer};
use tensorfleet::cli::commands::{self, RegisterInput};
use tensorfleet::cli::Format;

const NETUID: u16 = 1;

fn coldkey() -> Keypair {
    Keypair::from_secret_key([7; 32]).unwrap()
}

fn fake() -> FakeChain {
    let mut g = Genesis {
        head: 1000,
        ..Genesis::default()
    };
    g.subnets.insert(NETUID, SubnetConfig::default());
    g.balances
        .insert(AccountId(coldkey().public_key().0), 10 * TAO);
    FakeChain::new(g)
}

async fn register(
    chain: &FakeChain,
    cap: u64,
    submit: bool,
    fmt: Format,
) -> (anyhow::Result<()>, String) {
    let signer = Signer::Key(coldkey());
    let req = RegisterInput {
        netuid: NETUID,
        hotkey: AccountId([3; 32]),
        max_burn_rao: cap,
        signer: &signer,
        submit,
    };
    let mut out = Vec::new();
    let res = commands::register(chain, &req, fmt, &mut out).await;
    (res, String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn dry_run_prints_cost_balance_and_signer_and_submits_nothing() {
    let chain = fake();
    let burn = chain
        .snapshot(NETUID, &Default::default())
        .await
        .unwrap()
        .params
        .burn;
    let (res, out) = register(&chain, 2 * TAO, false, Format::Json).await;
    res.unwrap();
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["dryRun"], true);
    assert_eq!(j["burnRao"], burn);
    assert_eq!(j["balanceRao"], 10 * TAO);
    assert_eq!(j["maxBurnRao"], 2 * TAO);
    assert_eq!(j["refusal"], Value::Null);
    assert_eq!(
        j["signer"]["payer"],
        AccountId(coldkey().public_key().0).ss58()
    );
    assert_eq!(j["signer"]["viaProxy"], false);
    assert!(j["call"].as_str().unwrap().contains("burned_register"));
    assert!(chain.ledger().is_empty(), "a dry run submits nothing");
    assert_eq!(
        chain.uid_of(NETUID, &AccountId([3; 32])).await.unwrap(),
        None
    );
    // No secret in the output: only addresses.
    assert!(!out.contains(&hex::encode([7u8; 32])));

    let (res, human) = register(&chain, 2 * TAO, false, Format::Human).await;
    res.unwrap();
    assert!(human.contains("dry run: pass --yes to submit"), "{human}");
    assert!(human.contains("cost:"), "{human}");
}

#[tokio::test]
async fn above_the_cap_is_refused_in_dry_run_and_not_submitted_with_yes() {
    let chain = fake();
    let (res, out) = register(&chain, 1, false, Format::Json).await;
    res.unwrap();
    let j: Value = serde_json::from_str(&out).unwrap();
    assert!(
        j["refusal"].as_str().unwrap().contains("above --max-burn"),
        "{j}"
    );
    let (res, _) = register(&chain, 1, true, Format::Json).await;
    assert!(res.unwrap_err().to_string().contains("not submitted"));
    assert!(chain.ledger().is_empty());
}

#[tokio::test]
async fn yes_registers_within_the_cap_and_a_second_run_does_nothing() {
    let chain = fake();
    let (res, out) = register(&chain, 2 * TAO, true, Format::Json).await;
    res.unwrap();
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["outcome"]["result"], "Success", "{j}");
    assert!(chain
        .uid_of(NETUID, &AccountId([3; 32]))
        .await
        .unwrap()
        .is_some());
    assert_eq!(chain.ledger().len(), 1);
    // Idempotent: already registered, nothing signed.
    let (res, out) = register(&chain, 2 * TAO, true, Format::Json).await;
    res.unwrap();
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["alreadyRegistered"], true);
    assert_eq!(chain.ledger().len(), 1);
}

#[tokio::test]
async fn info_neuron_stake_and_serve_axon_read_from_any_chain() {
    let chain = fake();
    let hot = Keypair::from_secret_key([3; 32]).unwrap();
    let hotkey = AccountId(hot.public_key().0);
    let mut out = Vec::new();
    commands::info(&chain, NETUID, Format::Json, &mut out)
        .await
        .unwrap();
    let j: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        j["burnRao"],
        chain
            .snapshot(NETUID, &Default::default())
            .await
            .unwrap()
            .params
            .burn
    );
    assert_eq!(j["neurons"], 0);

    let mut out = Vec::new();
    commands::neuron(&chain, NETUID, &hotkey, Format::Human, &mut out)
        .await
        .unwrap();
    assert!(String::from_utf8(out)
        .unwrap()
        .contains("is not registered"));

    // Register the hotkey, then dry-run stake and serve-axon for it.
    let signer = Signer::Key(coldkey());
    let req = RegisterInput {
        netuid: NETUID,
        hotkey,
        max_burn_rao: 2 * TAO,
        signer: &signer,
        submit: true,
    };
    commands::register(&chain, &req, Format::Json, &mut Vec::new())
        .await
        .unwrap();
    let mut out = Vec::new();
    commands::neuron(&chain, NETUID, &hotkey, Format::Json, &mut out)
        .await
        .unwrap();
    let j: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        (
            j["registered"].clone(),
            j["uid"].clone(),
            j["immune"].clone()
        ),
        (true.into(), 0.into(), true.into())
    );

    let stake = commands::StakeInput {
        add: true,
        netuid: NETUID,
        hotkey,
        amount_rao: TAO,
        max_slippage_percent: 1.0,
        signer: &signer,
        submit: false,
    };
    let mut out = Vec::new();
    commands::stake(&chain, &stake, Format::Json, &mut out)
        .await
        .unwrap();
    let j: Value = serde_json::from_slice(&out).unwrap();
    // The fake's default subnet is stable (price 1): the limit is 1 % above it.
    assert_eq!(
        (j["alphaPriceRao"].as_u64(), j["limitPriceRao"].as_u64()),
        (Some(TAO), Some(TAO + TAO / 100))
    );
    assert_eq!(
        (
            j["action"].as_str(),
            j["dryRun"].as_bool(),
            j["amountRao"].as_u64()
        ),
        (Some("add_stake"), Some(true), Some(TAO))
    );

    let serve = commands::ServeInput {
        netuid: NETUID,
        hotkey: &hot,
        ip: "203.0.113.5".parse().unwrap(),
        port: 8091,
        version: 1,
        submit: false,
    };
    let mut out = Vec::new();
    commands::serve_axon(&chain, &serve, Format::Json, &mut out)
        .await
        .unwrap();
    let j: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        (
            j["current"].clone(),
            j["unchanged"].clone(),
            j["dryRun"].clone()
        ),
        (Value::Null, false.into(), true.into())
    );
    // Dry runs submitted nothing beyond the one registration.
    assert_eq!(chain.ledger().len(), 1);
}
