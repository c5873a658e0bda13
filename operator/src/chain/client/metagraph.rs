//! The whole subnet in one runtime call on newer runtimes:
//! `SubnetInfoRuntimeApi_get_metagraph(netuid) -> Option<Metagraph>` (mechanism 0) carries the
//! subnet's parameters, pool reserves and per-uid vectors, including `block_at_registration`.
//!
//! Decoded by field NAME from the type the metadata declares, tolerant of what runtimes change:
//! - since spec 397 `trust`, `rank` and `pruning_score` are EMPTY vectors (HEAD
//!   `pallets/subtensor/src/rpc_info/metagraph.rs:751,772-773`: "Deprecated: no longer computed");
//! - since spec 423 `activity_cutoff` is `Compact<u64>` (before `Compact<u16>`, `:57`);
//! - per-uid vectors copied from storage (`active`, `last_update`, `emission`, ...) are not
//!   guaranteed one entry per uid.
//!
//! A per-uid figure that is missing takes its default and is reported in [`Metagraph::defaulted`].
//! Only what the operator cannot do without (hotkeys, coldkeys, burn, registration flag, tempo,
//! immunity, uid limit) fails the decode, and the caller then falls back to `get_neurons_lite`.

use scale_info::PortableRegistry;
use subxt::ext::scale_value::Value;

use super::neurons::{axon_of, norm, AxonRaw};
use super::value::{self, field, list};
use crate::chain::{AccountId, ChainError, NeuronInfo, SubnetParams};

pub const SUBNET_API: &str = "SubnetInfoRuntimeApi";
pub const METAGRAPH: &str = "get_metagraph";

/// A decoded metagraph.
#[derive(Debug)]
pub struct Metagraph {
    /// `mechanism_count` is left 1 and `last_epoch_block` None: they are not in the metagraph.
    pub params: SubnetParams,
    pub neurons: Vec<NeuronInfo>,
    /// (`tao_in`, `alpha_in`): the pool reserves.
    pub reserves: Option<(u64, u64)>,
    /// Figures absent or shorter than the uid count, filled with defaults (e.g. `trust`).
    pub defaulted: Vec<String>,
}

fn missing(name: &str) -> ChainError {
    ChainError::Decode(format!(
        "get_metagraph: field {name} missing or not of the expected shape"
    ))
}

/// Decode `Option<Metagraph>`; `Ok(None)` when the subnet does not exist.
pub fn decode_metagraph(
    bytes: &[u8],
    output_ty: u32,
    types: &PortableRegistry,
) -> Result<Option<Metagraph>, ChainError> {
    let v = value::decode(bytes, output_ty, types)
        .map_err(|e| ChainError::Decode(format!("get_metagraph: {e}")))?;
    match value::variant(&v) {
        Some(("None", _)) => Ok(None),
        Some(("Some", inner)) if inner.len() == 1 => from_value(inner[0]).map(Some),
        _ => Err(ChainError::Decode("get_metagraph: not an Option".into())),
    }
}

fn from_value(m: &Value<()>) -> Result<Metagraph, ChainError> {
    let req_u64 = |name: &str| {
        field(m, name)
            .and_then(value::u64_of)
            .ok_or_else(|| missing(name))
    };
    let opt_u64 = |name: &str| field(m, name).and_then(value::u64_of).unwrap_or(0);
    let small =
        |name: &str| req_u64(name).and_then(|n| u16::try_from(n).map_err(|_| missing(name)));
    let params = SubnetParams {
        burn: req_u64("burn")?,
        min_burn: opt_u64("min_burn"),
        max_burn: opt_u64("max_burn"),
        difficulty: opt_u64("difficulty"),
        registration_allowed: field(m, "registration_allowed")
            .and_then(value::bool_of)
            .ok_or_else(|| missing("registration_allowed"))?,
        tempo: small("tempo")?,
        immunity_period: small("immunity_period")?,
        subnetwork_n: small("num_uids").unwrap_or(0),
        max_allowed_uids: small("max_uids")?,
        serving_rate_limit: opt_u64("serving_rate_limit"),
        activity_cutoff: opt_u64("activity_cutoff"),
        weights_rate_limit: opt_u64("weights_rate_limit"),
        weights_version: opt_u64("weights_version"),
        commit_reveal_enabled: field(m, "commit_reveal_weights_enabled")
            .and_then(value::bool_of)
            .unwrap_or(false),
        network_registered_at: opt_u64("network_registered_at"),
        mechanism_count: 1,
        last_epoch_block: None,
        reveal_period_epochs: opt_u64("commit_reveal_period"),
    };
    let accounts = |name: &str| -> Result<Vec<[u8; 32]>, ChainError> {
        field(m, name)
            .and_then(list)
            .ok_or_else(|| missing(name))?
            .into_iter()
            .map(|a| value::account(a).ok_or_else(|| missing(name)))
            .collect()
    };
    let hotkeys = accounts("hotkeys")?;
    let coldkeys = accounts("coldkeys")?;
    let n = hotkeys.len();
    if coldkeys.len() != n {
        return Err(ChainError::Decode(format!(
            "get_metagraph: {} coldkeys for {n} hotkeys",
            coldkeys.len()
        )));
    }
    let mut defaulted = Vec::new();
    let mut column = |name: &str| -> Vec<Option<&Value<()>>> {
        let items = field(m, name).and_then(list).unwrap_or_default();
        if items.len() < n {
            defaulted.push(format!("{name} ({} of {n})", items.len()));
        }
        (0..n).map(|i| items.get(i).copied()).collect()
    };
    let nums = |col: Vec<Option<&Value<()>>>| -> Vec<u64> {
        col.into_iter()
            .map(|v| v.and_then(value::u64_of).unwrap_or(0))
            .collect()
    };
    let ratios = |col: Vec<Option<&Value<()>>>| -> Vec<f64> {
        col.into_iter()
            .map(|v| norm(v.and_then(value::u64_of).unwrap_or(0).min(65535) as u16))
            .collect()
    };
    let flags = |col: Vec<Option<&Value<()>>>| -> Vec<bool> {
        col.into_iter()
            .map(|v| v.and_then(value::bool_of).unwrap_or(false))
            .collect()
    };
    let axons: Vec<_> = column("axons")
        .into_iter()
        .map(|v| v.and_then(axon).as_ref().and_then(axon_of))
        .collect();
    let active = flags(column("active"));
    let permit = flags(column("validator_permit"));
    let last_update = nums(column("last_update"));
    let emission = nums(column("emission"));
    let dividends = ratios(column("dividends"));
    let incentives = ratios(column("incentives"));
    let consensus = ratios(column("consensus"));
    let trust = ratios(column("trust"));
    let rank = ratios(column("rank"));
    let registered = nums(column("block_at_registration"));
    let stake = nums(column("alpha_stake"));
    let neurons = (0..n)
        .map(|i| NeuronInfo {
            uid: i as u16,
            hotkey: AccountId(hotkeys[i]),
            coldkey: AccountId(coldkeys[i]),
            active: active[i],
            axon: axons[i].clone(),
            stake: stake[i],
            rank: rank[i],
            trust: trust[i],
            consensus: consensus[i],
            incentive: incentives[i],
            dividends: dividends[i],
            validator_trust: None,
            emission: emission[i],
            last_update: last_update[i],
            validator_permit: permit[i],
            registered_at_block: registered[i],
        })
        .collect();
    let reserves = match (
        field(m, "tao_in").and_then(value::u64_of),
        field(m, "alpha_in").and_then(value::u64_of),
    ) {
        (Some(t), Some(a)) => Some((t, a)),
        _ => None,
    };
    Ok(Metagraph {
        params,
        neurons,
        reserves,
        defaulted: if n == 0 { Vec::new() } else { defaulted },
    })
}

fn axon(v: &Value<()>) -> Option<AxonRaw> {
    let num = |name: &str| field(v, name).and_then(value::uint);
    Some(AxonRaw {
        block: u64::try_from(num("block")?).ok()?,
        version: u32::try_from(num("version")?).ok()?,
        ip: num("ip")?,
        port: u16::try_from(num("port")?).ok()?,
        ip_type: u8::try_from(num("ip_type")?).ok()?,
    })
}
