//! Decoding `NeuronInfoRuntimeApi_get_neurons_lite` into [`NeuronInfo`].
//!
//! Newer runtimes declare the result type in metadata: decode by field name (`DecodeAsType`),
//! so added fields and newtype wrappers (`NetUid`, `AlphaBalance`) are tolerated. Older
//! runtimes (spec 218) declare `Vec<u8>` whose bytes are the SCALE encoding of
//! `Vec<NeuronInfoLite>` in a fixed field order: decode those by position.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use parity_scale_codec::{Compact, Decode};
use scale_decode::DecodeAsType;
use scale_info::{PortableRegistry, TypeDef, TypeDefPrimitive};

use crate::chain::{AccountId, AxonInfo, ChainError, NeuronInfo};

pub const NEURON_API: &str = "NeuronInfoRuntimeApi";
pub const NEURONS_LITE: &str = "get_neurons_lite";

#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "scale_decode")]
pub(super) struct AxonRaw {
    pub block: u64,
    pub version: u32,
    pub ip: u128,
    pub port: u16,
    pub ip_type: u8,
}

#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "scale_decode")]
struct NeuronLiteTyped {
    hotkey: [u8; 32],
    coldkey: [u8; 32],
    uid: u16,
    active: bool,
    axon_info: AxonRaw,
    stake: Vec<([u8; 32], u64)>,
    rank: u16,
    emission: u64,
    incentive: u16,
    consensus: u16,
    trust: u16,
    validator_trust: u16,
    dividends: u16,
    last_update: u64,
    validator_permit: bool,
}

/// Decode the raw result of `get_neurons_lite` given the output type the metadata declares.
/// `registered_at_block` is left 0: the caller fills it from `BlockAtRegistration`.
pub fn decode_neurons_lite(
    bytes: &[u8],
    output_ty: u32,
    types: &PortableRegistry,
) -> Result<Vec<NeuronInfo>, ChainError> {
    let err = |e: String| ChainError::Decode(format!("get_neurons_lite: {e}"));
    if is_byte_vec(output_ty, types) {
        let inner = Vec::<u8>::decode(&mut &bytes[..]).map_err(|e| err(e.to_string()))?;
        let raw =
            Vec::<NeuronLiteLegacy>::decode(&mut &inner[..]).map_err(|e| err(e.to_string()))?;
        return Ok(raw
            .into_iter()
            .map(NeuronLiteTyped::from)
            .map(to_neuron)
            .collect());
    }
    let raw = Vec::<NeuronLiteTyped>::decode_as_type(&mut &bytes[..], output_ty, types)
        .map_err(|e| err(e.to_string()))?;
    Ok(raw.into_iter().map(to_neuron).collect())
}

pub(super) fn is_byte_vec(ty: u32, types: &PortableRegistry) -> bool {
    let Some(TypeDef::Sequence(seq)) = types.resolve(ty).map(|t| &t.type_def) else {
        return false;
    };
    matches!(
        types.resolve(seq.type_param.id).map(|t| &t.type_def),
        Some(TypeDef::Primitive(TypeDefPrimitive::U8))
    )
}

pub(super) fn norm(v: u16) -> f64 {
    f64::from(v) / 65535.0
}

pub(super) fn axon_of(a: &AxonRaw) -> Option<AxonInfo> {
    let ip = match a.ip_type {
        _ if a.ip == 0 => return None,
        4 => IpAddr::V4(Ipv4Addr::from(a.ip as u32)),
        6 => IpAddr::V6(Ipv6Addr::from(a.ip)),
        _ => return None,
    };
    Some(AxonInfo {
        block: a.block,
        ip,
        port: a.port,
        version: a.version,
    })
}

fn to_neuron(n: NeuronLiteTyped) -> NeuronInfo {
    let hotkey = AccountId(n.hotkey);
    // The lite stake list is per coldkey; the neuron's stake is their sum.
    let stake = n.stake.iter().map(|(_, s)| *s).sum();
    NeuronInfo {
        uid: n.uid,
        hotkey,
        coldkey: AccountId(n.coldkey),
        active: n.active,
        axon: axon_of(&n.axon_info),
        stake,
        rank: norm(n.rank),
        trust: norm(n.trust),
        consensus: norm(n.consensus),
        incentive: norm(n.incentive),
        dividends: norm(n.dividends),
        validator_trust: Some(norm(n.validator_trust)),
        emission: n.emission,
        last_update: n.last_update,
        validator_permit: n.validator_permit,
        registered_at_block: 0,
    }
}

/// The positional layout of `NeuronInfoLite` on runtimes that return it as opaque bytes.
#[derive(Decode)]
struct NeuronLiteLegacy {
    hotkey: [u8; 32],
    coldkey: [u8; 32],
    uid: Compact<u16>,
    _netuid: Compact<u16>,
    active: bool,
    axon_info: AxonLegacy,
    _prometheus_info: PrometheusLegacy,
    stake: Vec<([u8; 32], Compact<u64>)>,
    rank: Compact<u16>,
    emission: Compact<u64>,
    incentive: Compact<u16>,
    consensus: Compact<u16>,
    trust: Compact<u16>,
    validator_trust: Compact<u16>,
    dividends: Compact<u16>,
    last_update: Compact<u64>,
    validator_permit: bool,
    _pruning_score: Compact<u16>,
}

#[derive(Decode)]
struct AxonLegacy {
    block: u64,
    version: u32,
    ip: u128,
    port: u16,
    ip_type: u8,
    _protocol: u8,
    _placeholder1: u8,
    _placeholder2: u8,
}

#[derive(Decode)]
struct PrometheusLegacy {
    _block: u64,
    _version: u32,
    _ip: u128,
    _port: u16,
    _ip_type: u8,
}

impl From<NeuronLiteLegacy> for NeuronLiteTyped {
    fn from(l: NeuronLiteLegacy) -> Self {
        NeuronLiteTyped {
            hotkey: l.hotkey,
            coldkey: l.coldkey,
            uid: l.uid.0,
            active: l.active,
            axon_info: AxonRaw {
                block: l.axon_info.block,
                version: l.axon_info.version,
                ip: l.axon_info.ip,
                port: l.axon_info.port,
                ip_type: l.axon_info.ip_type,
            },
            stake: l.stake.into_iter().map(|(k, s)| (k, s.0)).collect(),
            rank: l.rank.0,
            emission: l.emission.0,
            incentive: l.incentive.0,
            consensus: l.consensus.0,
            trust: l.trust.0,
            validator_trust: l.validator_trust.0,
            dividends: l.dividends.0,
            last_update: l.last_update.0,
            validator_permit: l.validator_permit,
        }
    }
}
