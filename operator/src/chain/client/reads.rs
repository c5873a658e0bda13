//! Reads, each in as few RPC rounds as the runtime allows. The subnet snapshot is in
//! `subnet.rs`.

use std::collections::HashMap;

use scale_decode::DecodeAsType;
use subxt::backend::BlockRef;
use subxt::client::{ClientAtBlock, OnlineClientAtBlockImpl};

use super::calls::SUBTENSOR;
use super::config::SubtensorConfig;
use super::connection::Conn;
use super::errors;
use super::proxy::{ProxiesRaw, ProxyDef};
use super::storage::{self, Read};
use crate::chain::{AccountId, ChainError, ColdkeySwap};

pub type At = ClientAtBlock<SubtensorConfig, OnlineClientAtBlockImpl<SubtensorConfig>>;

pub async fn head(c: &Conn) -> Result<u64, ChainError> {
    let header = c
        .rpc
        .chain_get_header(None)
        .await
        .map_err(|e| errors::map(&c.url, e))?
        .ok_or_else(|| ChainError::Other("node returned no best header".into()))?;
    Ok(header.number)
}

/// A client at the current best block (metadata of the runtime in force there).
pub async fn best(c: &Conn) -> Result<At, ChainError> {
    let hash = c
        .rpc
        .chain_get_block_hash(None)
        .await
        .map_err(|e| errors::map(&c.url, e))?
        .ok_or_else(|| ChainError::Other("node returned no best block".into()))?;
    c.client
        .at_block(BlockRef::from_hash(hash))
        .await
        .map_err(|e| errors::map(&c.url, e))
}

/// Fetch many keys at one block in one `state_queryStorageAt` round; results in key order.
pub async fn query(c: &Conn, at: &At, reads: &[Read]) -> Result<Vec<Option<Vec<u8>>>, ChainError> {
    if reads.is_empty() {
        return Ok(Vec::new());
    }
    let hash = at.block_hash();
    let keys = reads.iter().map(|r| r.key.as_slice());
    let sets = match c.rpc.state_query_storage_at(keys, Some(hash)).await {
        Ok(sets) => sets,
        // A proxy that does not serve the batch call: one concurrent read per key instead.
        Err(e) if !errors::is_transport(&e) => {
            let one = reads
                .iter()
                .map(|r| c.rpc.state_get_storage(&r.key, Some(hash)));
            return futures::future::try_join_all(one)
                .await
                .map_err(|e| errors::map(&c.url, e));
        }
        Err(e) => return Err(errors::map(&c.url, e)),
    };
    let mut found: HashMap<Vec<u8>, Option<Vec<u8>>> = HashMap::new();
    for set in sets {
        for (k, v) in set.changes {
            found.insert(k.0, v.map(|b| b.0));
        }
    }
    Ok(reads
        .iter()
        .map(|r| found.get(&r.key).cloned().flatten())
        .collect())
}

/// Call a runtime API method with SCALE-encoded `args`; also returns its declared output type.
/// `None` when the runtime has no such method.
pub async fn runtime_call(
    c: &Conn,
    at: &At,
    api: &str,
    method: &str,
    args: &[u8],
) -> Result<Option<(Vec<u8>, u32)>, ChainError> {
    let md = at.metadata_ref();
    let Some(m) = md
        .runtime_api_trait_by_name(api)
        .and_then(|a| a.method_by_name(method))
    else {
        return Ok(None);
    };
    let output = m.output_ty();
    let bytes = at
        .runtime_apis()
        .call_raw(&format!("{api}_{method}"), Some(args))
        .await
        .map_err(|e| errors::map(&c.url, e))?;
    Ok(Some((bytes, output)))
}

pub async fn uid_of(c: &Conn, netuid: u16, hotkey: &AccountId) -> Result<Option<u16>, ChainError> {
    let at = best(c).await?;
    let read = storage::key(&at, SUBTENSOR, "Uids", (netuid, hotkey.0))?;
    let v = query(c, &at, std::slice::from_ref(&read)).await?;
    // OptionQuery: no value means not registered (never the declared default).
    storage::decode::<u16>(at.metadata_ref(), &read, v[0].as_deref(), false)
}

/// `Burn(netuid)` at `at`.
pub async fn burn(c: &Conn, at: &At, netuid: u16) -> Result<u64, ChainError> {
    let read = storage::key(at, SUBTENSOR, "Burn", (netuid,))?;
    let v = query(c, at, std::slice::from_ref(&read)).await?;
    Ok(storage::decode::<u64>(at.metadata_ref(), &read, v[0].as_deref(), true)?.unwrap_or(0))
}

/// A client at block number `block` (e.g. a transaction's birth block).
pub async fn at_number(c: &Conn, block: u64) -> Result<At, ChainError> {
    c.client
        .at_block(block)
        .await
        .map_err(|e| errors::map(&c.url, e))
}

/// The subnet's alpha price (rao per alpha) at `at`: `SwapRuntimeApi.current_alpha_price` where
/// the runtime has it, else the reserve ratio of the constant-product pool (spec 218).
pub async fn alpha_price(c: &Conn, at: &At, netuid: u16) -> Result<u64, ChainError> {
    let args = parity_scale_codec::Encode::encode(&netuid);
    if let Some((bytes, _)) = runtime_call(c, at, SWAP_API, CURRENT_PRICE, &args).await? {
        return <u64 as parity_scale_codec::Decode>::decode(&mut &bytes[..])
            .map_err(|e| ChainError::Decode(format!("{SWAP_API}_{CURRENT_PRICE}: {e}")));
    }
    let reads = storage::param_keys(at, netuid)?;
    let values = query(c, at, &reads).await?;
    let (_, extras) = storage::decode_params(at.metadata_ref(), &reads, &values)?
        .ok_or(ChainError::SubnetNotFound(netuid))?;
    Ok(super::subnet::price_without_api(&extras))
}

pub const SWAP_API: &str = "SwapRuntimeApi";
pub const CURRENT_PRICE: &str = "current_alpha_price";

/// `ColdkeySwapAnnouncements(account)` and `ColdkeySwapDisputes(account)` at the best block
/// (HEAD `lib.rs:1445-1455`); `None` on runtimes without announcements (spec 218 has
/// `ColdkeySwapScheduled` instead, which does not refuse calls).
pub async fn coldkey_swap(c: &Conn, a: &AccountId) -> Result<Option<ColdkeySwap>, ChainError> {
    let at = best(c).await?;
    let Some(ann) = storage::key_if_present(&at, SUBTENSOR, "ColdkeySwapAnnouncements", (a.0,))?
    else {
        return Ok(None);
    };
    let dispute = storage::key_if_present(&at, SUBTENSOR, "ColdkeySwapDisputes", (a.0,))?;
    let reads: Vec<Read> = std::iter::once(ann).chain(dispute).collect();
    let v = query(c, &at, &reads).await?;
    let Some(bytes) = v[0].as_deref() else {
        return Ok(None);
    };
    let announced = storage::decode_value(at.metadata_ref(), &reads[0], Some(bytes))?;
    let executable_at = announced
        .as_ref()
        .and_then(super::value::items)
        .and_then(|parts| parts.first().and_then(|b| super::value::u64_of(b)))
        .unwrap_or(0);
    Ok(Some(ColdkeySwap {
        executable_at,
        disputed: v.get(1).is_some_and(|d| d.is_some()),
    }))
}

/// `Proxy.Proxies(real)` at `at`: the real account's proxy definitions.
pub async fn proxies(c: &Conn, at: &At, real: &AccountId) -> Result<Vec<ProxyDef>, ChainError> {
    let read = storage::key(at, "Proxy", "Proxies", (real.0,))?;
    let v = query(c, at, std::slice::from_ref(&read)).await?;
    Ok(
        storage::decode::<ProxiesRaw>(at.metadata_ref(), &read, v[0].as_deref(), true)?
            .map(|p| p.defs())
            .unwrap_or_default(),
    )
}

#[derive(DecodeAsType, Debug, Default)]
#[decode_as_type(crate_path = "scale_decode")]
pub struct AccountData {
    pub free: u64,
}

#[derive(DecodeAsType, Debug, Default)]
#[decode_as_type(crate_path = "scale_decode")]
pub struct AccountInfo {
    pub nonce: u64,
    pub data: AccountData,
}

/// `System::Account` (nonce and free balance) at the best block; defaults when absent.
pub async fn account(c: &Conn, a: &AccountId) -> Result<AccountInfo, ChainError> {
    let at = best(c).await?;
    let read = storage::key(&at, "System", "Account", (a.0,))?;
    let v = query(c, &at, std::slice::from_ref(&read)).await?;
    Ok(
        storage::decode::<AccountInfo>(at.metadata_ref(), &read, v[0].as_deref(), true)?
            .unwrap_or_default(),
    )
}
