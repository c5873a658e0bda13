//! Outcomes from the event layouts each runtime emits, against the real mainnet (spec 393)
//! metadata for error names. Event sequences follow the Subtensor source: fee withdrawn before
//! dispatch, the burn during it, `NeuronRegistered` after (HEAD `subnets/registration.rs:99-129`).

use super::*;
use crate::chain::TxKind;
use subxt::ext::scale_value::{Composite, Value};

fn md393() -> Metadata {
    let path = format!(
        "{}/tests/fixtures/subtensor-finney-spec393.scale",
        env!("CARGO_MANIFEST_DIR")
    );
    Metadata::decode_from(&std::fs::read(path).unwrap()[..]).unwrap()
}

const PAYER: AccountId = AccountId([7; 32]);
const PROXY: AccountId = AccountId([8; 32]);
const SUBNET_ACCOUNT: AccountId = AccountId([5; 32]);

/// An AccountId32 value as decoded from metadata: a newtype around 32 bytes.
fn acct(a: AccountId) -> Value<()> {
    Value::unnamed_composite([Value::from_bytes(a.0)])
}

fn u(n: u64) -> Value<()> {
    Value::u128(n.into())
}

fn named(pallet: &str, name: &str, fields: Vec<(&str, Value<()>)>) -> EventRec {
    EventRec {
        pallet: pallet.into(),
        name: name.into(),
        fields: Composite::named(fields.into_iter().map(|(n, v)| (n.to_string(), v))),
    }
}

fn unnamed(pallet: &str, name: &str, fields: Vec<Value<()>>) -> EventRec {
    EventRec {
        pallet: pallet.into(),
        name: name.into(),
        fields: Composite::unnamed(fields),
    }
}

fn withdraw(who: AccountId, amount: u64) -> EventRec {
    named(
        "Balances",
        "Withdraw",
        vec![("who", acct(who)), ("amount", u(amount))],
    )
}

fn transfer(from: AccountId, to: AccountId, amount: u64) -> EventRec {
    named(
        "Balances",
        "Transfer",
        vec![
            ("from", acct(from)),
            ("to", acct(to)),
            ("amount", u(amount)),
        ],
    )
}

fn registered() -> EventRec {
    unnamed(
        "SubtensorModule",
        "NeuronRegistered",
        vec![u(2), u(4), acct(AccountId([1; 32]))],
    )
}

fn fee_paid(who: AccountId, fee: u64) -> EventRec {
    named(
        "TransactionPayment",
        "TransactionFeePaid",
        vec![("who", acct(who)), ("actual_fee", u(fee)), ("tip", u(0))],
    )
}

fn success() -> EventRec {
    named("System", "ExtrinsicSuccess", vec![("dispatch_info", u(0))])
}

/// `DispatchError::Module` for `pallet::error`, with the indices the metadata gives them.
fn module_error(md: &Metadata, pallet: &str, error: &str) -> Value<()> {
    let p = md.pallet_by_name(pallet).unwrap();
    let e = p
        .error_variants()
        .unwrap()
        .iter()
        .find(|v| v.name == error)
        .unwrap_or_else(|| panic!("{pallet}.{error} not in metadata"))
        .index;
    let module = Value::named_composite([
        ("index", u(p.error_index().into())),
        ("error", Value::from_bytes([e, 0, 0, 0])),
    ]);
    Value::unnamed_variant("Module", [module])
}

fn proxy_executed(result: Value<()>) -> EventRec {
    named("Proxy", "ProxyExecuted", vec![("result", result)])
}

#[test]
fn burns_come_from_the_balances_event_of_each_runtime() {
    let md = md393();
    // (name, events, burn) — spec 218 as observed on the devnet (burned_register is fee-free
    // there), spec ≤ 402 with a fee, spec ≥ 411 with a fee.
    let cases = [
        (
            "spec 218: one Withdraw",
            vec![
                withdraw(PAYER, 1_000_000),
                registered(),
                fee_paid(PAYER, 0),
                success(),
            ],
            1_000_000,
        ),
        (
            "≤ 402: fee Withdraw, then burn Withdraw",
            vec![
                withdraw(PAYER, 150_000),
                withdraw(PAYER, 480_000_000),
                registered(),
                fee_paid(PAYER, 120_000),
                success(),
            ],
            480_000_000,
        ),
        (
            "≥ 411: fee Withdraw, burn Transfer to the subnet account",
            vec![
                withdraw(PAYER, 150_000),
                transfer(PAYER, SUBNET_ACCOUNT, 300_000_000),
                registered(),
                fee_paid(PAYER, 120_000),
                success(),
            ],
            300_000_000,
        ),
        (
            "proxied: the proxy pays the fee, the coldkey the burn",
            vec![
                withdraw(PROXY, 150_000),
                withdraw(PAYER, 2_000_000),
                registered(),
                proxy_executed(Value::unnamed_variant("Ok", [Value::unnamed_composite([])])),
                fee_paid(PROXY, 120_000),
                success(),
            ],
            2_000_000,
        ),
    ];
    for (name, events, burn) in cases {
        let p = parse(&events, &PAYER, TxKind::Register, &md);
        assert_eq!(p.result, TxResult::Success, "{name}");
        assert_eq!((p.burned_rao, p.amounts_known), (burn, true), "{name}");
    }
    // The fee is the TransactionFeePaid figure.
    let p = parse(
        &[
            withdraw(PAYER, 9),
            registered(),
            fee_paid(PAYER, 120_000),
            success(),
        ],
        &PAYER,
        TxKind::Register,
        &md,
    );
    assert_eq!(p.fee_rao, 120_000);
}

#[test]
fn a_success_without_its_amount_is_flagged() {
    let md = md393();
    let p = parse(
        &[registered(), fee_paid(PAYER, 0), success()],
        &PAYER,
        TxKind::Register,
        &md,
    );
    assert_eq!(
        (p.result, p.burned_rao, p.amounts_known),
        (TxResult::Success, 0, false)
    );
    // Another account's Withdraw is not our burn.
    let other = parse(
        &[withdraw(PROXY, 5), registered(), success()],
        &PAYER,
        TxKind::Register,
        &md,
    );
    assert!(!other.amounts_known);
}

#[test]
fn a_failed_inner_call_of_a_proxy_is_a_failure_with_nothing_paid() {
    let md = md393();
    // The devnet case of the issue: burned_register inside Proxy.proxy fails at dispatch; the
    // proxy call itself succeeds (ExtrinsicSuccess).
    let inner = module_error(&md, "SubtensorModule", "TooManyRegistrationsThisBlock");
    let events = [
        withdraw(PROXY, 150_000),
        proxy_executed(Value::unnamed_variant("Err", [inner])),
        fee_paid(PROXY, 120_000),
        success(),
    ];
    let p = parse(&events, &PAYER, TxKind::Register, &md);
    assert_eq!(
        p.result,
        TxResult::failed("SubtensorModule", "TooManyRegistrationsThisBlock")
    );
    assert_eq!((p.burned_rao, p.fee_rao), (0, 120_000));
    // A call the proxy type does not allow: System.CallFiltered inside ProxyExecuted.
    let filtered = module_error(&md, "System", "CallFiltered");
    let events = [
        proxy_executed(Value::unnamed_variant("Err", [filtered])),
        success(),
    ];
    assert_eq!(
        parse(&events, &PAYER, TxKind::Register, &md).result,
        TxResult::failed("System", "CallFiltered")
    );
    // No definition of the forced type: the proxy call itself fails.
    let not_proxy = module_error(&md, "Proxy", "NotProxy");
    let failed = named(
        "System",
        "ExtrinsicFailed",
        vec![("dispatch_error", not_proxy), ("dispatch_info", u(0))],
    );
    assert_eq!(
        parse(&[failed], &PAYER, TxKind::Register, &md).result,
        TxResult::failed("Proxy", "NotProxy")
    );
}

#[test]
fn other_dispatch_errors_are_named_by_kind() {
    let md = md393();
    let token = Value::unnamed_variant("Token", [Value::unnamed_variant("FundsUnavailable", [])]);
    assert_eq!(
        dispatch_error(&token, &md),
        TxResult::failed("Dispatch", "Token.FundsUnavailable")
    );
    let origin = Value::unnamed_variant("BadOrigin", []);
    assert_eq!(
        dispatch_error(&origin, &md),
        TxResult::failed("Dispatch", "BadOrigin")
    );
    // An index the metadata does not know is reported, not mistaken for another error.
    let unknown = Value::unnamed_variant(
        "Module",
        [Value::named_composite([
            ("index", u(250)),
            ("error", Value::from_bytes([1, 0, 0, 0])),
        ])],
    );
    assert!(matches!(
        dispatch_error(&unknown, &md),
        TxResult::Failed { pallet, .. } if pallet == "Module"
    ));
}

#[test]
fn stake_moved_comes_from_stake_added_and_removed() {
    let md = md393();
    let hot = acct(AccountId([1; 32]));
    // HEAD / spec ≥ 257: (coldkey, hotkey, tao, alpha, netuid, fee)
    let added = unnamed(
        "SubtensorModule",
        "StakeAdded",
        vec![
            acct(PAYER),
            hot.clone(),
            u(2_000_000_000),
            u(498_000_000),
            u(2),
            u(1_000),
        ],
    );
    let p = parse(&[added, success()], &PAYER, TxKind::AddStake, &md);
    assert_eq!(
        p.stake,
        Some(StakeMoved {
            tao_rao: 2_000_000_000,
            alpha_rao: 498_000_000,
            swap_fee_rao: 1_000
        })
    );
    // Spec 218: five fields, no fee.
    let removed = unnamed(
        "SubtensorModule",
        "StakeRemoved",
        vec![acct(PAYER), hot.clone(), u(99_000), u(100_000), u(2)],
    );
    let p = parse(&[removed], &PAYER, TxKind::RemoveStake, &md);
    assert_eq!(
        (
            p.stake.map(|s| (s.tao_rao, s.alpha_rao, s.swap_fee_rao)),
            p.amounts_known
        ),
        (Some((99_000, 100_000, 0)), true)
    );
    // Another coldkey's StakeAdded in the same block is not ours.
    let theirs = unnamed(
        "SubtensorModule",
        "StakeAdded",
        vec![acct(PROXY), hot, u(1), u(1), u(2), u(0)],
    );
    let p = parse(&[theirs], &PAYER, TxKind::AddStake, &md);
    assert_eq!((p.stake, p.amounts_known), (None, false));
}
