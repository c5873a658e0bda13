//! Setting a coldkey up for the operator: give a proxy key the right to register or stake for
//! it (`Proxy.add_proxy`), and fund that key's fees (`Balances.transfer_keep_alive`). Dry run
//! unless asked; signed by the coldkey itself (a proxy cannot grant proxies).

use std::io::Write;

use anyhow::bail;
use serde_json::json;
use subxt::ext::scale_value::Value;
use subxt_signer::sr25519::Keypair;

use super::super::output::{emit, outcome_json, outcome_lines, tao, Format};
use super::tx::PERIOD;
use crate::chain::client::calls::CallSpec;
use crate::chain::client::SubxtChain;
use crate::chain::{AccountId, Chain, TxParams};

/// What to submit as the coldkey.
pub enum AccountAction {
    Transfer {
        to: AccountId,
        amount_rao: u64,
    },
    Proxy {
        delegate: AccountId,
        proxy_type: String,
        remove: bool,
    },
}

/// The proxy types a tensorfleet operator key needs (HEAD `common/src/lib.rs:149-168`).
pub const PROXY_TYPES: [&str; 3] = ["Registration", "Staking", "Any"];

fn address(a: &AccountId) -> Value {
    Value::unnamed_variant("Id", [Value::from_bytes(a.0)])
}

fn call_of(action: &AccountAction) -> CallSpec {
    match action {
        AccountAction::Transfer { to, amount_rao } => CallSpec {
            pallet: "Balances",
            call: "transfer_keep_alive",
            fields: vec![
                ("dest", address(to)),
                ("value", Value::u128((*amount_rao).into())),
            ],
        },
        AccountAction::Proxy {
            delegate,
            proxy_type,
            remove,
        } => CallSpec {
            pallet: "Proxy",
            call: if *remove { "remove_proxy" } else { "add_proxy" },
            fields: vec![
                ("delegate", address(delegate)),
                ("proxy_type", Value::unnamed_variant(proxy_type.clone(), [])),
                ("delay", Value::u128(0)),
            ],
        },
    }
}

pub async fn account(
    chain: &SubxtChain,
    coldkey: &Keypair,
    action: &AccountAction,
    submit: bool,
    fmt: Format,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    if let AccountAction::Proxy { proxy_type, .. } = action {
        if !PROXY_TYPES.contains(&proxy_type.as_str()) {
            bail!(
                "proxy type {proxy_type:?}: expected one of {}",
                PROXY_TYPES.join(", ")
            );
        }
    }
    let who = AccountId(coldkey.public_key().0);
    let call = call_of(action);
    let what = match action {
        AccountAction::Transfer { to, amount_rao } => {
            format!("transfer {} to {to}", tao(*amount_rao))
        }
        AccountAction::Proxy {
            delegate,
            proxy_type,
            remove,
        } => format!(
            "{} {delegate} as a {proxy_type} proxy (delay 0)",
            if *remove { "remove" } else { "add" }
        ),
    };
    let plan = json!({
        "action": format!("{}.{}", call.pallet, call.call), "signer": who.ss58(),
        "what": what, "dryRun": !submit,
    });
    let mut h = vec![
        format!("{what}, signed by {who}"),
        format!("signs:   {}.{}", call.pallet, call.call),
    ];
    if !submit {
        h.push("dry run: pass --yes to submit".into());
        return emit(fmt, w, &plan, &h);
    }
    let tx = TxParams {
        nonce: chain.account_nonce(&who).await?,
        birth_block: chain.head().await?,
        period: PERIOD,
    };
    let o = chain.submit_signed(call, coldkey, &tx).await?;
    h.extend(outcome_lines(&o));
    emit(
        fmt,
        w,
        &json!({"plan": plan, "outcome": outcome_json(&o)}),
        &h,
    )
}
