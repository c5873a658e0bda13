//! The chain commands that submit an extrinsic (dry run unless asked): register, stake, serve.

use std::io::Write;
use std::net::IpAddr;

use anyhow::bail;
use serde_json::json;
use subxt_signer::sr25519::Keypair;

use super::super::output::{emit, outcome_json, outcome_lines, tao, Format};
use crate::chain::{
    AccountId, Chain, PriceLimit, RegisterRequest, ServeAxonRequest, Signer, SnapshotQuery,
    StakeRequest, TxOutcome, TxParams,
};

/// Mortality of CLI transactions, in blocks (~13 minutes).
pub const PERIOD: u64 = 64;

/// Nonce of the signing account and a mortal era from the current head.
async fn tx_params(chain: &dyn Chain, signer: &AccountId) -> anyhow::Result<TxParams> {
    let nonce = chain.account_nonce(signer).await?;
    let head = chain.head().await?;
    Ok(TxParams {
        nonce,
        birth_block: head,
        period: PERIOD,
    })
}

fn signer_json(s: &Signer) -> serde_json::Value {
    json!({
        "payer": s.payer().ss58(),
        "signer": s.signer_account().ss58(),
        "viaProxy": matches!(s, Signer::Proxy { .. }),
    })
}

/// The plan followed by the outcome of the submitted extrinsic.
fn report(
    fmt: Format,
    w: &mut dyn Write,
    plan: serde_json::Value,
    mut human: Vec<String>,
    o: &TxOutcome,
) -> anyhow::Result<()> {
    human.extend(outcome_lines(o));
    emit(
        fmt,
        w,
        &json!({"plan": plan, "outcome": outcome_json(o)}),
        &human,
    )
}

pub struct RegisterInput<'a> {
    pub netuid: u16,
    pub hotkey: AccountId,
    pub max_burn_rao: u64,
    pub signer: &'a Signer,
    /// false: dry run.
    pub submit: bool,
}

pub async fn register(
    chain: &dyn Chain,
    r: &RegisterInput<'_>,
    fmt: Format,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    if let Some(uid) = chain.uid_of(r.netuid, &r.hotkey).await? {
        let j = json!({"action": "register", "netuid": r.netuid, "hotkey": r.hotkey.ss58(), "alreadyRegistered": true, "uid": uid});
        return emit(
            fmt,
            w,
            &j,
            &[format!(
                "{} is already registered on subnet {} as uid {uid}; nothing to do",
                r.hotkey, r.netuid
            )],
        );
    }
    let s = chain.snapshot(r.netuid, &SnapshotQuery::default()).await?;
    let burn = s.params.burn;
    let balance = chain.free_balance(&r.signer.payer()).await?;
    let refusal = if !s.params.registration_allowed {
        Some(format!("registration is disabled on subnet {}", r.netuid))
    } else if burn > r.max_burn_rao {
        Some(format!(
            "burn {} is above --max-burn {}",
            tao(burn),
            tao(r.max_burn_rao)
        ))
    } else if balance < burn {
        Some(format!(
            "balance {} is below the burn {}",
            tao(balance),
            tao(burn)
        ))
    } else {
        None
    };
    let call = match r.signer {
        Signer::Key(_) => "SubtensorModule.register_limit or burned_register".to_string(),
        Signer::Proxy { .. } => {
            "Proxy.proxy(Registration, SubtensorModule.register_limit or burned_register)"
                .to_string()
        }
    };
    let plan = json!({
        "action": "register", "netuid": r.netuid, "hotkey": r.hotkey.ss58(), "block": s.block,
        "burnRao": burn, "maxBurnRao": r.max_burn_rao, "balanceRao": balance,
        "call": call, "signer": signer_json(r.signer), "refusal": refusal, "dryRun": !r.submit,
    });
    let mut h = vec![
        format!(
            "register {} on subnet {} (block {})",
            r.hotkey, r.netuid, s.block
        ),
        format!("cost:    {} (cap {})", tao(burn), tao(r.max_burn_rao)),
        format!("balance: {} of {}", tao(balance), r.signer.payer()),
        format!("signs:   {call} as {}", r.signer.signer_account()),
    ];
    if let Some(why) = &refusal {
        h.push(format!("refused: {why}"));
    }
    if !r.submit {
        h.push("dry run: pass --yes to submit".into());
        return emit(fmt, w, &plan, &h);
    }
    if let Some(why) = refusal {
        emit(fmt, w, &plan, &h)?;
        bail!("not submitted: {why}");
    }
    let tx = tx_params(chain, &r.signer.signer_account()).await?;
    let req = RegisterRequest {
        netuid: r.netuid,
        hotkey: r.hotkey,
        limit_rao: r.max_burn_rao,
        signer: r.signer,
        tx,
    };
    let o = chain.register(&req).await?;
    report(fmt, w, plan, h, &o)
}

pub struct StakeInput<'a> {
    pub add: bool,
    pub netuid: u16,
    pub hotkey: AccountId,
    pub amount_rao: u64,
    /// The price may move at most this far (percent) from the price read now.
    pub max_slippage_percent: f64,
    pub signer: &'a Signer,
    pub submit: bool,
}

/// The price limit `percent` away from `price_rao`: above it when buying, below when selling.
pub fn price_limit(price_rao: u64, percent: f64, add: bool) -> PriceLimit {
    PriceLimit {
        limit_price_rao: crate::decide::stake::limit_price(price_rao, percent, add),
        allow_partial: false,
    }
}

pub async fn stake(
    chain: &dyn Chain,
    r: &StakeInput<'_>,
    fmt: Format,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    let action = if r.add { "add_stake" } else { "remove_stake" };
    let balance = chain.free_balance(&r.signer.payer()).await?;
    let s = chain.snapshot(r.netuid, &SnapshotQuery::default()).await?;
    let Some(price) = s.pool.map(|p| p.price_rao) else {
        bail!(
            "subnet {} has no pool price to limit the {action} by",
            r.netuid
        );
    };
    let limit = price_limit(price, r.max_slippage_percent, r.add);
    let plan = json!({
        "action": action, "netuid": r.netuid, "hotkey": r.hotkey.ss58(), "amountRao": r.amount_rao,
        "balanceRao": balance, "signer": signer_json(r.signer), "dryRun": !r.submit,
        "alphaPriceRao": price, "limitPriceRao": limit.limit_price_rao,
    });
    let mut h = vec![
        format!(
            "{action} {} on {} (subnet {})",
            tao(r.amount_rao),
            r.hotkey,
            r.netuid
        ),
        format!("balance: {} of {}", tao(balance), r.signer.payer()),
        format!(
            "price:   {} per alpha, limit {} ({}%)",
            tao(price),
            tao(limit.limit_price_rao),
            r.max_slippage_percent
        ),
        format!(
            "signs:   SubtensorModule.{action}_limit as {}",
            r.signer.signer_account()
        ),
    ];
    if !r.submit {
        h.push("dry run: pass --yes to submit".into());
        return emit(fmt, w, &plan, &h);
    }
    if r.add && balance < r.amount_rao {
        emit(fmt, w, &plan, &h)?;
        bail!(
            "not submitted: balance {} is below {}",
            tao(balance),
            tao(r.amount_rao)
        );
    }
    let tx = tx_params(chain, &r.signer.signer_account()).await?;
    let req = StakeRequest {
        netuid: r.netuid,
        hotkey: r.hotkey,
        amount_rao: r.amount_rao,
        limit: Some(limit),
        signer: r.signer,
        tx,
    };
    let o = if r.add {
        chain.add_stake(&req).await?
    } else {
        chain.remove_stake(&req).await?
    };
    report(fmt, w, plan, h, &o)
}

pub struct ServeInput<'a> {
    pub netuid: u16,
    pub hotkey: &'a Keypair,
    pub ip: IpAddr,
    pub port: u16,
    pub version: u32,
    pub submit: bool,
}

pub async fn serve_axon(
    chain: &dyn Chain,
    r: &ServeInput<'_>,
    fmt: Format,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    let hotkey = AccountId(r.hotkey.public_key().0);
    let s = chain.snapshot(r.netuid, &SnapshotQuery::default()).await?;
    let Some(n) = s.neuron_by_hotkey(&hotkey) else {
        bail!("{hotkey} is not registered on subnet {}", r.netuid);
    };
    let current = n.axon.as_ref();
    let same = current.is_some_and(|a| a.ip == r.ip && a.port == r.port && a.version == r.version);
    let plan = json!({
        "action": "serve_axon", "netuid": r.netuid, "hotkey": hotkey.ss58(), "uid": n.uid,
        "ip": r.ip.to_string(), "port": r.port, "version": r.version,
        "current": current.map(|a| format!("{}:{}", a.ip, a.port)), "unchanged": same, "dryRun": !r.submit,
    });
    let mut h = vec![
        format!(
            "serve axon {}:{} for {hotkey} (uid {}, subnet {})",
            r.ip, r.port, n.uid, r.netuid
        ),
        format!(
            "current: {}",
            current
                .map(|a| format!("{}:{} v{}", a.ip, a.port, a.version))
                .unwrap_or_else(|| "not served".into())
        ),
        format!("signs:   SubtensorModule.serve_axon as {hotkey} (fee-free)"),
    ];
    if same {
        h.push("already served with these values; nothing to do".into());
        return emit(fmt, w, &plan, &h);
    }
    if !r.submit {
        h.push("dry run: pass --yes to submit".into());
        return emit(fmt, w, &plan, &h);
    }
    let tx = tx_params(chain, &hotkey).await?;
    let req = ServeAxonRequest {
        netuid: r.netuid,
        hotkey: r.hotkey,
        ip: r.ip,
        port: r.port,
        version: r.version,
        tx,
    };
    let o = chain.serve_axon(&req).await?;
    report(fmt, w, plan, h, &o)
}
