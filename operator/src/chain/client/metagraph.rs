//! The whole subnet in one runtime call on newer runtimes:
//! `SubnetInfoRuntimeApi_get_metagraph(netuid) -> Option<Metagraph>` carries the subnet's
//! parameters and per-uid vectors, including `block_at_registration`.

use scale_decode::DecodeAsType;
use scale_info::PortableRegistry;

use super::neurons::{axon_of, norm, AxonRaw};
use crate::chain::{AccountId, ChainError, NeuronInfo, SubnetParams};

pub const SUBNET_API: &str = "SubnetInfoRuntimeApi";
pub const METAGRAPH: &str = "get_metagraph";

#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct MetagraphRaw {
    tempo: u16,
    num_uids: u16,
    max_uids: u16,
    burn: u64,
    difficulty: u64,
    registration_allowed: bool,
    immunity_period: u16,
    min_burn: u64,
    max_burn: u64,
    serving_rate_limit: u64,
    hotkeys: Vec<[u8; 32]>,
    coldkeys: Vec<[u8; 32]>,
    axons: Vec<AxonRaw>,
    active: Vec<bool>,
    validator_permit: Vec<bool>,
    last_update: Vec<u64>,
    emission: Vec<u64>,
    dividends: Vec<u16>,
    incentives: Vec<u16>,
    consensus: Vec<u16>,
    trust: Vec<u16>,
    rank: Vec<u16>,
    block_at_registration: Vec<u64>,
    alpha_stake: Vec<u64>,
}

/// Decode `Option<Metagraph>`; `Ok(None)` when the subnet does not exist.
pub fn decode_metagraph(
    bytes: &[u8],
    output_ty: u32,
    types: &PortableRegistry,
) -> Result<Option<(SubnetParams, Vec<NeuronInfo>)>, ChainError> {
    let raw = Option::<MetagraphRaw>::decode_as_type(&mut &bytes[..], output_ty, types)
        .map_err(|e| ChainError::Decode(format!("get_metagraph: {e}")))?;
    let Some(m) = raw else { return Ok(None) };
    let params = SubnetParams {
        burn: m.burn,
        min_burn: m.min_burn,
        max_burn: m.max_burn,
        difficulty: m.difficulty,
        registration_allowed: m.registration_allowed,
        tempo: m.tempo,
        immunity_period: m.immunity_period,
        subnetwork_n: m.num_uids,
        max_allowed_uids: m.max_uids,
        serving_rate_limit: m.serving_rate_limit,
        last_epoch_block: None,
    };
    let n = m.hotkeys.len();
    let short = |name: &str, len: usize| {
        (len < n)
            .then(|| ChainError::Decode(format!("get_metagraph: {name} has {len} of {n} uids")))
    };
    let lens = [
        ("coldkeys", m.coldkeys.len()),
        ("axons", m.axons.len()),
        ("active", m.active.len()),
        ("validator_permit", m.validator_permit.len()),
        ("last_update", m.last_update.len()),
        ("emission", m.emission.len()),
        ("dividends", m.dividends.len()),
        ("incentives", m.incentives.len()),
        ("consensus", m.consensus.len()),
        ("trust", m.trust.len()),
        ("rank", m.rank.len()),
        ("block_at_registration", m.block_at_registration.len()),
        ("alpha_stake", m.alpha_stake.len()),
    ];
    if let Some(e) = lens.iter().find_map(|(name, len)| short(name, *len)) {
        return Err(e);
    }
    let neurons = (0..n)
        .map(|i| NeuronInfo {
            uid: i as u16,
            hotkey: AccountId(m.hotkeys[i]),
            coldkey: AccountId(m.coldkeys[i]),
            active: m.active[i],
            axon: axon_of(&m.axons[i]),
            stake: m.alpha_stake[i],
            rank: norm(m.rank[i]),
            trust: norm(m.trust[i]),
            consensus: norm(m.consensus[i]),
            incentive: norm(m.incentives[i]),
            dividends: norm(m.dividends[i]),
            validator_trust: None,
            emission: m.emission[i],
            last_update: m.last_update[i],
            validator_permit: m.validator_permit[i],
            registered_at_block: m.block_at_registration[i],
        })
        .collect();
    Ok(Some((params, neurons)))
}
