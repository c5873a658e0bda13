//! Storage keys and values, built and decoded from the runtime's metadata.
//!
//! Keys come from subxt's storage entries (hashers from metadata), so they work on an offline
//! client as well; values are decoded by the type id the metadata declares, falling back to
//! the entry's declared default when the chain holds no value.

use scale_decode::DecodeAsType;
use subxt::client::{ClientAtBlock, OfflineClientAtBlockT};
use subxt::ext::scale_encode::EncodeAsType;
use subxt::ext::scale_value::Value;
use subxt::Metadata;

use super::calls::SUBTENSOR;
use super::config::SubtensorConfig;
use crate::chain::{ChainError, SubnetParams};

/// A storage read: where, and how to decode what comes back.
#[derive(Clone, Debug, PartialEq)]
pub struct Read {
    pub pallet: &'static str,
    pub entry: &'static str,
    pub key: Vec<u8>,
}

/// Build the key of `pallet::entry(keys...)` at a block.
pub fn key<C, K>(
    at: &ClientAtBlock<SubtensorConfig, C>,
    pallet: &'static str,
    entry: &'static str,
    keys: K,
) -> Result<Read, ChainError>
where
    C: OfflineClientAtBlockT<SubtensorConfig>,
    K: subxt::ext::frame_decode::storage::IntoEncodableValues
        + subxt::ext::frame_decode::storage::IntoDecodableValues,
{
    let addr = subxt::dynamic::storage::<K, subxt::dynamic::Value>(pallet, entry);
    let key = at
        .storage()
        .entry(addr)
        .and_then(|e| e.fetch_key(keys))
        .map_err(|e| ChainError::Unsupported(format!("storage {pallet}::{entry}: {e}")))?;
    Ok(Read { pallet, entry, key })
}

/// Decode a storage value as `T`; `None` bytes (no value on chain) use the declared default
/// when `use_default`, else give `None` (for `OptionQuery` maps such as `Uids`).
pub fn decode<T: DecodeAsType>(
    metadata: &Metadata,
    read: &Read,
    bytes: Option<&[u8]>,
    use_default: bool,
) -> Result<Option<T>, ChainError> {
    let entry = metadata
        .pallet_by_name(read.pallet)
        .and_then(|p| p.storage())
        .and_then(|s| s.entry_by_name(read.entry))
        .ok_or_else(|| ChainError::Unsupported(format!("storage {}", read.entry)))?;
    let bytes = match (bytes, use_default) {
        (Some(b), _) => b,
        (None, true) => match entry.default_value() {
            Some(d) => d,
            None => return Ok(None),
        },
        (None, false) => return Ok(None),
    };
    T::decode_as_type(&mut &bytes[..], entry.value_ty(), metadata.types())
        .map(Some)
        .map_err(|e| ChainError::Decode(format!("{}::{}: {e}", read.pallet, read.entry)))
}

/// Whether the runtime has `pallet::entry`.
pub fn has_entry(metadata: &Metadata, pallet: &str, entry: &str) -> bool {
    metadata
        .pallet_by_name(pallet)
        .and_then(|p| p.storage())
        .and_then(|s| s.entry_by_name(entry))
        .is_some()
}

/// [`key`], or `None` when the runtime has no such entry (added or renamed by an upgrade).
pub fn key_if_present<C, K>(
    at: &ClientAtBlock<SubtensorConfig, C>,
    pallet: &'static str,
    entry: &'static str,
    keys: K,
) -> Result<Option<Read>, ChainError>
where
    C: OfflineClientAtBlockT<SubtensorConfig>,
    K: subxt::ext::frame_decode::storage::IntoEncodableValues
        + subxt::ext::frame_decode::storage::IntoDecodableValues,
{
    if !has_entry(at.metadata_ref(), pallet, entry) {
        return Ok(None);
    }
    key(at, pallet, entry, keys).map(Some)
}

/// Decode a storage value dynamically (any shape), with the declared default when absent.
pub fn decode_value(
    metadata: &Metadata,
    read: &Read,
    bytes: Option<&[u8]>,
) -> Result<Option<Value<()>>, ChainError> {
    decode::<Value<()>>(metadata, read, bytes, true)
}

/// Subnet-parameter entries a snapshot without `get_metagraph` reads, each keyed by netuid.
/// Entries a runtime lacks are skipped (e.g. `MechanismCountCurrent` before spec 320,
/// `ActivityCutoffFactorMilli` before 423, `SubnetTAO` before dynamic TAO).
pub const PARAM_ENTRIES: [&str; 23] = [
    "NetworksAdded",
    "Burn",
    "MinBurn",
    "MaxBurn",
    "Difficulty",
    "NetworkRegistrationAllowed",
    "Tempo",
    "ImmunityPeriod",
    "SubnetworkN",
    "MaxAllowedUids",
    "ServingRateLimit",
    "ActivityCutoff",
    "ActivityCutoffFactorMilli",
    "WeightsSetRateLimit",
    "WeightsVersionKey",
    "CommitRevealWeightsEnabled",
    "NetworkRegisteredAt",
    "SubnetTAO",
    "SubnetAlphaIn",
    "SubnetMechanism",
    "MechanismCountCurrent",
    "LastEpochBlock",
    "RevealPeriodEpochs",
];

/// Keys of the [`PARAM_ENTRIES`] this runtime has, for `netuid`.
pub fn param_keys<C: OfflineClientAtBlockT<SubtensorConfig>>(
    at: &ClientAtBlock<SubtensorConfig, C>,
    netuid: u16,
) -> Result<Vec<Read>, ChainError> {
    let mut reads = Vec::new();
    for e in PARAM_ENTRIES {
        if let Some(r) = key_if_present(at, SUBTENSOR, e, (netuid,))? {
            reads.push(r);
        }
    }
    Ok(reads)
}

/// What the parameter reads give besides [`SubnetParams`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamExtras {
    /// (`SubnetTAO`, `SubnetAlphaIn`), where the runtime has them.
    pub reserves: Option<(u64, u64)>,
    /// `SubnetMechanism`: 0 = stable (price 1), 1 = dynamic AMM. None where absent.
    pub swap_mechanism: Option<u64>,
}

/// Decode the values fetched for [`param_keys`] (same order). `None` when the subnet does not
/// exist (`NetworksAdded` false).
pub fn decode_params(
    metadata: &Metadata,
    reads: &[Read],
    values: &[Option<Vec<u8>>],
) -> Result<Option<(SubnetParams, ParamExtras)>, ChainError> {
    let mut found = std::collections::HashMap::new();
    for (r, v) in reads.iter().zip(values) {
        if let Some(val) = decode_value(metadata, r, v.as_deref())? {
            found.insert(r.entry, val);
        }
    }
    let num = |e: &str| found.get(e).and_then(super::value::u64_of);
    let get = |e: &str| num(e).unwrap_or(0);
    let flag = |e: &str| {
        found
            .get(e)
            .and_then(super::value::bool_of)
            .unwrap_or(false)
    };
    let small = |e: &'static str| u16::try_from(get(e)).map_err(|_| ChainError::Decode(e.into()));
    if !flag("NetworksAdded") {
        return Ok(None);
    }
    let tempo = small("Tempo")?;
    // Since spec 423 the epoch derives the cutoff from tempo; `ActivityCutoff` is legacy
    // (HEAD `utils/misc.rs:612-622`, `epoch/run_epoch.rs:604`).
    let activity_cutoff = match num("ActivityCutoffFactorMilli") {
        Some(f) => (f * u64::from(tempo) / 1000).max(1),
        None => get("ActivityCutoff"),
    };
    let params = SubnetParams {
        burn: get("Burn"),
        min_burn: get("MinBurn"),
        max_burn: get("MaxBurn"),
        difficulty: get("Difficulty"),
        registration_allowed: flag("NetworkRegistrationAllowed"),
        tempo,
        immunity_period: small("ImmunityPeriod")?,
        subnetwork_n: small("SubnetworkN")?,
        max_allowed_uids: small("MaxAllowedUids")?,
        serving_rate_limit: get("ServingRateLimit"),
        activity_cutoff,
        weights_rate_limit: get("WeightsSetRateLimit"),
        weights_version: get("WeightsVersionKey"),
        commit_reveal_enabled: flag("CommitRevealWeightsEnabled"),
        network_registered_at: get("NetworkRegisteredAt"),
        mechanism_count: u8::try_from(num("MechanismCountCurrent").unwrap_or(1)).unwrap_or(1),
        last_epoch_block: num("LastEpochBlock"),
        reveal_period_epochs: get("RevealPeriodEpochs"),
    };
    let extras = ParamExtras {
        reserves: num("SubnetTAO").zip(num("SubnetAlphaIn")),
        swap_mechanism: num("SubnetMechanism"),
    };
    Ok(Some((params, extras)))
}

/// Encode `value` as the type a storage entry declares (used by tests and fakes to build
/// realistic value bytes from metadata).
pub fn encode_value<V: EncodeAsType>(
    metadata: &Metadata,
    pallet: &str,
    entry: &str,
    value: &V,
) -> Result<Vec<u8>, ChainError> {
    let entry = metadata
        .pallet_by_name(pallet)
        .and_then(|p| p.storage())
        .and_then(|s| s.entry_by_name(entry))
        .ok_or_else(|| ChainError::Unsupported(format!("storage {entry}")))?;
    value
        .encode_as_type(entry.value_ty(), metadata.types())
        .map_err(|e| ChainError::Decode(e.to_string()))
}
