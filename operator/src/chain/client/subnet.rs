//! One subnet at the best block, in as few RPC rounds as the runtime allows:
//! - with `get_metagraph` (spec ≥ 233 on main; 393, HEAD): the metagraph, the alpha price and
//!   one storage batch (mechanism count, own stakes) — three concurrent requests;
//! - without it (spec 218), or when the metagraph does not decode: `get_neurons_lite` with the
//!   parameter storage, then one batch of per-uid registration blocks and total alpha (the lite
//!   `stake` of spec 218 is the pre-dTAO TAO stake, 0 for alpha staked since) and own stakes.

use std::collections::HashSet;
use std::sync::Mutex;

use super::calls::SUBTENSOR;
use super::connection::Conn;
use super::metagraph::{self, METAGRAPH, SUBNET_API};
use super::neurons::{self, NEURONS_LITE, NEURON_API};
use super::reads::{self, best, query, runtime_call, At};
use super::stake;
use super::storage::{self, ParamExtras};
use crate::chain::{
    ChainError, NeuronInfo, Pool, SnapshotQuery, SubnetParams, SubnetSnapshot, WeightsRow,
    RAO_PER_TAO,
};

/// Messages already logged by this client (a decode problem is reported once, not per poll).
#[derive(Default)]
pub struct Once(Mutex<HashSet<String>>);

impl Once {
    /// True the first time `key` is seen.
    pub fn first(&self, key: &str) -> bool {
        self.0.lock().expect("once lock").insert(key.to_string())
    }
}

pub async fn snapshot(
    c: &Conn,
    netuid: u16,
    query_: &SnapshotQuery,
    once: &Once,
) -> Result<SubnetSnapshot, ChainError> {
    let at = best(c).await?;
    let args = parity_scale_codec::Encode::encode(&netuid);
    let md = at.metadata();
    let has_metagraph = md
        .runtime_api_trait_by_name(SUBNET_API)
        .and_then(|a| a.method_by_name(METAGRAPH))
        .is_some();
    if !has_metagraph {
        return lite_snapshot(c, at, netuid, query_).await;
    }
    let stakes = stake::reads(&at, netuid, &query_.stakes)?;
    let mut batch = stakes.reads.clone();
    let mechanisms = storage::key_if_present(&at, SUBTENSOR, "MechanismCountCurrent", (netuid,))?;
    let last_epoch = storage::key_if_present(&at, SUBTENSOR, "LastEpochBlock", (netuid,))?;
    batch.extend(mechanisms.clone());
    batch.extend(last_epoch.clone());
    let weights_at = batch.len();
    batch.extend(weights_reads(&at, netuid, &query_.weights)?);
    let mechanisms_at = batch.len();
    batch.extend(mechanism_reads(&at, netuid, query_.mechanisms)?);
    // A price that cannot be read leaves the pool unknown, not the snapshot failed.
    let price = async { Ok::<_, ChainError>(reads::alpha_price(c, &at, netuid).await.ok()) };
    let (graph, price, values) = futures::try_join!(
        runtime_call(c, &at, SUBNET_API, METAGRAPH, &args),
        price,
        query(c, &at, &batch)
    )?;
    let (bytes, ty) = graph.ok_or_else(|| ChainError::Unsupported(METAGRAPH.into()))?;
    let m = match metagraph::decode_metagraph(&bytes, ty, md.types()) {
        Ok(Some(m)) => m,
        Ok(None) => return Err(ChainError::SubnetNotFound(netuid)),
        Err(e) => {
            if once.first(&format!("metagraph:{e}")) {
                tracing::warn!(netuid, error = %e, "get_metagraph did not decode; reading the subnet with get_neurons_lite instead");
            }
            return lite_snapshot(c, at, netuid, query_).await;
        }
    };
    if !m.defaulted.is_empty() && once.first(&format!("defaulted:{:?}", m.defaulted)) {
        tracing::info!(netuid, fields = ?m.defaulted, "metagraph figures absent on this runtime are shown as 0");
    }
    let mut params = m.params;
    let mut extra = stakes.reads.len();
    if let Some(read) = &mechanisms {
        let v = values.get(extra).and_then(|v| v.as_deref());
        params.mechanism_count = u8::try_from(u64_at(&md, read, v)?).unwrap_or(1).max(1);
        extra += 1;
    }
    if let Some(read) = &last_epoch {
        let v = values.get(extra).and_then(|v| v.as_deref());
        params.last_epoch_block = Some(u64_at(&md, read, v)?);
    }
    let own = stakes.decode(&md, &values[..stakes.reads.len()])?;
    let weights = weights_rows(&query_.weights, &values[weights_at..mechanisms_at]);
    let mechanism_last_update = batch[mechanisms_at..]
        .iter()
        .zip(&values[mechanisms_at..])
        .map(|(read, v)| last_updates(&md, read, v.as_deref()))
        .collect();
    Ok(SubnetSnapshot {
        netuid,
        block: at.block_number(),
        params,
        neurons: m.neurons,
        pool: m
            .reserves
            .zip(price)
            .map(|((tao_in, alpha_in), price_rao)| Pool {
                tao_in,
                alpha_in,
                price_rao,
            }),
        stakes: own,
        weights,
        mechanism_last_update,
    })
}

/// `LastUpdate` of mechanisms 1 .. `count` (storage index `mechanism × 4096 + netuid`, HEAD
/// `subnets/mechanism.rs:28-40`; Identity-hashed, `lib.rs:2321`).
fn mechanism_reads<C: subxt::client::OfflineClientAtBlockT<super::config::SubtensorConfig>>(
    at: &subxt::client::ClientAtBlock<super::config::SubtensorConfig, C>,
    netuid: u16,
    count: u8,
) -> Result<Vec<storage::Read>, ChainError> {
    (1..u16::from(count))
        .map(|m| storage::key(at, SUBTENSOR, "LastUpdate", (m * 4096 + netuid,)))
        .collect()
}

/// A `Vec<u64>` by uid (empty when absent or not decodable: nothing is judged on it).
fn last_updates(md: &subxt::Metadata, read: &storage::Read, v: Option<&[u8]>) -> Vec<u64> {
    let value = storage::decode_value(md, read, v).ok().flatten();
    let items = value
        .as_ref()
        .and_then(super::value::list)
        .unwrap_or_default();
    items.into_iter().filter_map(super::value::u64_of).collect()
}

/// The `Weights(netuid, uid)` keys of `uids` (mechanism 0: its storage index is the netuid,
/// HEAD `subnets/mechanism.rs:35-40`).
fn weights_reads<C: subxt::client::OfflineClientAtBlockT<super::config::SubtensorConfig>>(
    at: &subxt::client::ClientAtBlock<super::config::SubtensorConfig, C>,
    netuid: u16,
    uids: &[u16],
) -> Result<Vec<storage::Read>, ChainError> {
    uids.iter()
        .map(|uid| storage::key(at, SUBTENSOR, "Weights", (netuid, *uid)))
        .collect()
}

fn weights_rows(uids: &[u16], values: &[Option<Vec<u8>>]) -> Vec<WeightsRow> {
    uids.iter()
        .zip(values)
        .map(|(uid, v)| WeightsRow::from_scale(*uid, v.as_deref()))
        .collect()
}

/// The price on runtimes without `SwapRuntimeApi`: 1 on stable subnets (`SubnetMechanism` 0,
/// and root), else the reserve ratio (HEAD `pallets/swap/src/pallet/impls.rs:21-35` with
/// equal balancer weights, which is spec 218's constant-product pool).
pub fn price_without_api(extras: &ParamExtras) -> u64 {
    match (extras.swap_mechanism, extras.reserves) {
        (Some(0), _) => RAO_PER_TAO,
        (_, Some((tao, alpha))) => Pool::reserve_price_rao(tao, alpha),
        (_, None) => 0,
    }
}

async fn lite_snapshot(
    c: &Conn,
    at: At,
    netuid: u16,
    query_: &SnapshotQuery,
) -> Result<SubnetSnapshot, ChainError> {
    let md = at.metadata();
    let param_reads = storage::param_keys(&at, netuid)?;
    let args = parity_scale_codec::Encode::encode(&netuid);
    let (params, lite) = futures::try_join!(
        query(c, &at, &param_reads),
        runtime_call(c, &at, NEURON_API, NEURONS_LITE, &args)
    )?;
    let (raw, output_ty) =
        lite.ok_or_else(|| ChainError::Unsupported(format!("{NEURON_API}_{NEURONS_LITE}")))?;
    let (params, extras): (SubnetParams, ParamExtras) =
        storage::decode_params(&md, &param_reads, &params)?
            .ok_or(ChainError::SubnetNotFound(netuid))?;
    let mut neurons = neurons::decode_neurons_lite(&raw, output_ty, md.types())?;
    // Registration blocks and total alpha are not (reliably) in NeuronInfoLite: one batch for
    // all uids, together with the own stakes.
    let mut batch = Vec::new();
    for n in &neurons {
        batch.push(storage::key(
            &at,
            SUBTENSOR,
            "BlockAtRegistration",
            (netuid, n.uid),
        )?);
        batch.push(storage::key(
            &at,
            SUBTENSOR,
            "TotalHotkeyAlpha",
            (n.hotkey.0, netuid),
        )?);
    }
    let per_uid = batch.len();
    let stakes = stake::reads(&at, netuid, &query_.stakes)?;
    batch.extend(stakes.reads.iter().cloned());
    let weights_at = batch.len();
    batch.extend(weights_reads(&at, netuid, &query_.weights)?);
    let (values, price) = match reads_price_api(&md) {
        true => {
            let (v, p) =
                futures::try_join!(query(c, &at, &batch), reads::alpha_price(c, &at, netuid))?;
            (v, p)
        }
        false => (query(c, &at, &batch).await?, price_without_api(&extras)),
    };
    for (i, n) in neurons.iter_mut().enumerate() {
        let (reg, total) = (2 * i, 2 * i + 1);
        n.registered_at_block = u64_at(&md, &batch[reg], values[reg].as_deref())?;
        n.stake = u64_at(&md, &batch[total], values[total].as_deref())?;
    }
    neurons.sort_by_key(|n: &NeuronInfo| n.uid);
    Ok(SubnetSnapshot {
        netuid,
        block: at.block_number(),
        params,
        neurons,
        pool: extras.reserves.map(|(tao_in, alpha_in)| Pool {
            tao_in,
            alpha_in,
            price_rao: price,
        }),
        stakes: stakes.decode(&md, &values[per_uid..weights_at])?,
        weights: weights_rows(&query_.weights, &values[weights_at..]),
        // No runtime without `get_metagraph` has several mechanisms.
        mechanism_last_update: Vec::new(),
    })
}

fn reads_price_api(md: &subxt::Metadata) -> bool {
    md.runtime_api_trait_by_name(reads::SWAP_API)
        .and_then(|a| a.method_by_name(reads::CURRENT_PRICE))
        .is_some()
}

fn u64_at(md: &subxt::Metadata, read: &storage::Read, v: Option<&[u8]>) -> Result<u64, ChainError> {
    Ok(storage::decode_value(md, read, v)?
        .as_ref()
        .and_then(super::value::u64_of)
        .unwrap_or(0))
}
