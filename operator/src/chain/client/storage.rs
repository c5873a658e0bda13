//! Storage keys and values, built and decoded from the runtime's metadata.
//!
//! Keys come from subxt's storage entries (hashers from metadata), so they work on an offline
//! client as well; values are decoded by the type id the metadata declares, falling back to
//! the entry's declared default when the chain holds no value.

use scale_decode::DecodeAsType;
use subxt::client::{ClientAtBlock, OfflineClientAtBlockT};
use subxt::ext::scale_encode::EncodeAsType;
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

/// Subnet-parameter entries read for a snapshot, in a fixed order.
pub const PARAM_ENTRIES: [&str; 11] = [
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
];

/// Keys of [`PARAM_ENTRIES`] for `netuid`.
pub fn param_keys<C: OfflineClientAtBlockT<SubtensorConfig>>(
    at: &ClientAtBlock<SubtensorConfig, C>,
    netuid: u16,
) -> Result<Vec<Read>, ChainError> {
    PARAM_ENTRIES
        .iter()
        .map(|e| key(at, SUBTENSOR, e, (netuid,)))
        .collect()
}

/// Decode the values fetched for [`param_keys`] (same order). `None` when the subnet does not
/// exist (`NetworksAdded` false).
pub fn decode_params(
    metadata: &Metadata,
    reads: &[Read],
    values: &[Option<Vec<u8>>],
) -> Result<Option<SubnetParams>, ChainError> {
    let get = |i: usize| -> Result<u64, ChainError> {
        let v = values.get(i).and_then(|v| v.as_deref());
        Ok(decode::<u64>(metadata, &reads[i], v, true)?.unwrap_or(0))
    };
    let flag = |i: usize| -> Result<bool, ChainError> {
        let v = values.get(i).and_then(|v| v.as_deref());
        Ok(decode::<bool>(metadata, &reads[i], v, true)?.unwrap_or(false))
    };
    let small = |i: usize| -> Result<u16, ChainError> {
        u16::try_from(get(i)?).map_err(|_| ChainError::Decode(reads[i].entry.to_string()))
    };
    if !flag(0)? {
        return Ok(None);
    }
    Ok(Some(SubnetParams {
        burn: get(1)?,
        min_burn: get(2)?,
        max_burn: get(3)?,
        difficulty: get(4)?,
        registration_allowed: flag(5)?,
        tempo: small(6)?,
        immunity_period: small(7)?,
        subnetwork_n: small(8)?,
        max_allowed_uids: small(9)?,
        serving_rate_limit: get(10)?,
        last_epoch_block: None,
    }))
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
