//! Reads, each in as few RPC rounds as the runtime allows.

use std::collections::HashMap;

use scale_decode::DecodeAsType;
use subxt::backend::BlockRef;
use subxt::client::{ClientAtBlock, OnlineClientAtBlockImpl};

use super::calls::SUBTENSOR;
use super::config::SubtensorConfig;
use super::connection::Conn;
use super::errors;
use super::metagraph::{self, METAGRAPH, SUBNET_API};
use super::neurons::{self, NEURONS_LITE, NEURON_API};
use super::storage::{self, Read};
use crate::chain::{AccountId, ChainError, SubnetSnapshot};

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
async fn runtime_call(
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

/// The subnet at the best block: one `get_metagraph` call where the runtime has it, else
/// `get_neurons_lite` + the parameter storage (concurrently) + registration blocks.
pub async fn snapshot(c: &Conn, netuid: u16) -> Result<SubnetSnapshot, ChainError> {
    let at = best(c).await?;
    let md = at.metadata();
    let args = parity_scale_codec::Encode::encode(&netuid);
    if let Some((bytes, ty)) = runtime_call(c, &at, SUBNET_API, METAGRAPH, &args).await? {
        let (params, neurons) = metagraph::decode_metagraph(&bytes, ty, md.types())?
            .ok_or(ChainError::SubnetNotFound(netuid))?;
        return Ok(SubnetSnapshot {
            netuid,
            block: at.block_number(),
            params,
            neurons,
        });
    }
    lite_snapshot(c, at, netuid).await
}

async fn lite_snapshot(c: &Conn, at: At, netuid: u16) -> Result<SubnetSnapshot, ChainError> {
    let md = at.metadata();
    let param_reads = storage::param_keys(&at, netuid)?;
    let args = parity_scale_codec::Encode::encode(&netuid);
    let (params, lite) = futures::try_join!(
        query(c, &at, &param_reads),
        runtime_call(c, &at, NEURON_API, NEURONS_LITE, &args)
    )?;
    let (raw, output_ty) =
        lite.ok_or_else(|| ChainError::Unsupported(format!("{NEURON_API}_{NEURONS_LITE}")))?;
    let params = storage::decode_params(&md, &param_reads, &params)?
        .ok_or(ChainError::SubnetNotFound(netuid))?;
    let mut neurons = neurons::decode_neurons_lite(&raw, output_ty, md.types())?;
    // Registration blocks are not in NeuronInfoLite: one batched read for all uids.
    let reg_reads = neurons
        .iter()
        .map(|n| storage::key(&at, SUBTENSOR, "BlockAtRegistration", (netuid, n.uid)))
        .collect::<Result<Vec<_>, _>>()?;
    let regs = query(c, &at, &reg_reads).await?;
    for ((n, read), bytes) in neurons.iter_mut().zip(&reg_reads).zip(&regs) {
        n.registered_at_block =
            storage::decode::<u64>(&md, read, bytes.as_deref(), true)?.unwrap_or(0);
    }
    neurons.sort_by_key(|n| n.uid);
    Ok(SubnetSnapshot {
        netuid,
        block: at.block_number(),
        params,
        neurons,
    })
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

/// `Burn(netuid)` at block number `block`.
pub async fn burn_at(c: &Conn, block: u64, netuid: u16) -> Result<u64, ChainError> {
    let at = c
        .client
        .at_block(block)
        .await
        .map_err(|e| errors::map(&c.url, e))?;
    burn(c, &at, netuid).await
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
