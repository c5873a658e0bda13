//! The read-only chain commands: subnet info and one hotkey's figures.

use std::io::Write;

use serde_json::json;

use super::super::output::{emit, tao, Format};
use crate::chain::{AccountId, Chain, SnapshotQuery};

pub async fn info(
    chain: &dyn Chain,
    netuid: u16,
    fmt: Format,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    let s = chain.snapshot(netuid, &SnapshotQuery::default()).await?;
    let p = &s.params;
    let j = json!({
        "endpoint": chain.endpoint(), "netuid": netuid, "block": s.block,
        "burnRao": p.burn, "minBurnRao": p.min_burn, "maxBurnRao": p.max_burn,
        "registrationAllowed": p.registration_allowed, "tempo": p.tempo,
        "immunityPeriod": p.immunity_period, "subnetworkN": p.subnetwork_n,
        "maxAllowedUids": p.max_allowed_uids, "servingRateLimit": p.serving_rate_limit,
        "activityCutoff": p.activity_cutoff, "weightsRateLimit": p.weights_rate_limit,
        "weightsVersion": p.weights_version, "commitRevealEnabled": p.commit_reveal_enabled,
        "networkRegisteredAt": p.network_registered_at, "mechanisms": p.mechanism_count,
        "alphaPriceRao": s.pool.map(|q| q.price_rao), "poolTaoRao": s.pool.map(|q| q.tao_in),
        "poolAlphaRao": s.pool.map(|q| q.alpha_in),
        "neurons": s.neurons.len(),
    });
    let price = match s.pool {
        Some(q) => format!(
            "{} per alpha (pool {} / {} alpha)",
            tao(q.price_rao),
            tao(q.tao_in),
            crate::api::format_tao(q.alpha_in)
        ),
        None => "unknown".into(),
    };
    let h = vec![
        format!(
            "subnet {netuid} at block {} ({})",
            s.block,
            chain.endpoint()
        ),
        format!(
            "burn:                 {} (min {}, max {})",
            tao(p.burn),
            tao(p.min_burn),
            tao(p.max_burn)
        ),
        format!("registration allowed: {}", p.registration_allowed),
        format!("tempo:                {}", p.tempo),
        format!("immunity period:      {}", p.immunity_period),
        format!(
            "neurons:              {}/{}",
            p.subnetwork_n, p.max_allowed_uids
        ),
        format!("serving rate limit:   {}", p.serving_rate_limit),
        format!("activity cutoff:      {} blocks", p.activity_cutoff),
        format!(
            "weights:              rate limit {}, version {}, commit-reveal {}",
            p.weights_rate_limit, p.weights_version, p.commit_reveal_enabled
        ),
        format!("mechanisms:           {}", p.mechanism_count),
        format!("registered at block:  {}", p.network_registered_at),
        format!("alpha price:          {price}"),
    ];
    emit(fmt, w, &j, &h)
}

pub async fn neuron(
    chain: &dyn Chain,
    netuid: u16,
    hotkey: &AccountId,
    fmt: Format,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    let s = chain.snapshot(netuid, &SnapshotQuery::default()).await?;
    let Some(owner) = s.neuron_by_hotkey(hotkey).map(|n| n.coldkey) else {
        let j = json!({"netuid": netuid, "hotkey": hotkey.ss58(), "registered": false, "block": s.block});
        return emit(
            fmt,
            w,
            &j,
            &[format!("{hotkey} is not registered on subnet {netuid}")],
        );
    };
    // The owner's own stake needs the owner, known only now: read once more with it.
    let query = SnapshotQuery {
        stakes: vec![(*hotkey, owner)],
        ..SnapshotQuery::default()
    };
    let s = chain.snapshot(netuid, &query).await?;
    let Some(n) = s.neuron_by_hotkey(hotkey) else {
        anyhow::bail!("{hotkey} was deregistered from subnet {netuid} meanwhile; try again");
    };
    let own = s.own_stake(hotkey, &owner).unwrap_or(0);
    let value = |alpha| s.pool.map(|q| q.tao_value(alpha));
    let axon = n.axon.as_ref().map(|a| format!("{}:{}", a.ip, a.port));
    let immune_until = n.registered_at_block + u64::from(s.params.immunity_period);
    let j = json!({
        "netuid": netuid, "hotkey": hotkey.ss58(), "registered": true, "block": s.block,
        "uid": n.uid, "coldkey": n.coldkey.ss58(), "stakeRao": n.stake, "emissionRao": n.emission,
        "stakeTaoValueRao": value(n.stake), "ownStakeRao": own, "ownStakeTaoValueRao": value(own),
        "alphaPriceRao": s.pool.map(|q| q.price_rao),
        "incentive": n.incentive, "dividends": n.dividends, "consensus": n.consensus,
        "validatorPermit": n.validator_permit, "lastUpdate": n.last_update,
        "registeredAtBlock": n.registered_at_block, "immune": s.block < immune_until,
        "axon": axon, "active": n.active,
    });
    let h = vec![
        format!(
            "{hotkey} is uid {} on subnet {netuid} (block {})",
            n.uid, s.block
        ),
        format!("coldkey:          {}", n.coldkey),
        format!(
            "stake:            {} alpha in all, {} alpha the owner's own",
            crate::api::format_tao(n.stake),
            crate::api::format_tao(own)
        ),
        format!(
            "stake value:      {}",
            value(own).map_or_else(|| "unknown (no pool price)".into(), tao)
        ),
        format!("emission:         {}", tao(n.emission)),
        format!(
            "incentive:        {:.4}  dividends: {:.4}",
            n.incentive, n.dividends
        ),
        format!("validator permit: {}", n.validator_permit),
        format!(
            "registered at:    {} (immune until {immune_until})",
            n.registered_at_block
        ),
        format!("last update:      {}", n.last_update),
        format!(
            "axon:             {}",
            axon.unwrap_or_else(|| "not served".into())
        ),
    ];
    emit(fmt, w, &j, &h)
}
