//! Signing, submitting and watching one extrinsic; reading its outcome from its own events in
//! the inclusion block (`events::parse`), and naming a pool rejection (`rejection`).
//!
//! No resubmission here: once the transaction may have reached a node, every failure to see
//! its inclusion is `OutcomeUnknown` with the hash, so the caller reads the chain first.

use std::time::{Duration, Instant};

use subxt::client::{ClientAtBlock, OfflineClientAtBlockT};
use subxt::ext::scale_value::Composite;
use subxt::tx::{SubmittableTransaction, TransactionInBlock, TransactionStatus};
use subxt::utils::H256;
use subxt_signer::sr25519::Keypair;

use super::calls::CallSpec;
use super::config::{tx_params, SubtensorConfig};
use super::connection::Conn;
use super::errors;
use super::events::{self, EventRec};
use super::rejection;
use crate::chain::{AccountId, ChainError, Rejection, TxKind, TxOutcome, TxParams};

/// What the outcome is read for: who pays, and what amounts the call moves.
#[derive(Clone, Copy, Debug)]
pub struct Expect {
    pub payer: AccountId,
    pub kind: TxKind,
}

/// Sign `call` with `key` at the caller's nonce and mortality (`birth_hash` = hash of
/// `tx.birth_block`). Works on an offline client too.
pub fn sign<C: OfflineClientAtBlockT<SubtensorConfig>>(
    at: &ClientAtBlock<SubtensorConfig, C>,
    call: &CallSpec,
    key: &Keypair,
    tx: &TxParams,
    birth_hash: H256,
) -> Result<SubmittableTransaction<SubtensorConfig, C>, ChainError> {
    let params = tx_params(at.metadata_ref(), tx, birth_hash);
    let payload = call.payload();
    let build = |e: subxt::error::ExtrinsicError| {
        ChainError::Unsupported(format!("{}.{}: {e}", call.pallet, call.call))
    };
    at.tx()
        .create_signable_offline(&payload, params)
        .map_err(build)?
        .sign(key)
        .map_err(build)
}

pub fn hash_hex(h: H256) -> String {
    format!("0x{}", hex::encode(h.0))
}

/// A rejection the node gave as text only.
fn rejected(message: &str) -> ChainError {
    ChainError::Rejected(rejection::parse(message).unwrap_or_else(|| Rejection {
        code: None,
        name: "Unknown".into(),
        message: message.chars().take(300).collect(),
    }))
}

/// Sign, submit and wait (up to `timeout`) for inclusion in a best block.
pub async fn submit(
    conn: &Conn,
    call: &CallSpec,
    key: &Keypair,
    tx: &TxParams,
    timeout: Duration,
    expect: Expect,
) -> Result<TxOutcome, ChainError> {
    let at = conn
        .client
        .at_block(tx.birth_block)
        .await
        .map_err(|e| errors::map(&conn.url, e))?;
    let signed = sign(&at, call, key, tx, at.block_hash())?;
    let tx_hash = hash_hex(signed.hash());
    let unknown = |reason: String| ChainError::OutcomeUnknown {
        tx_hash: tx_hash.clone(),
        reason,
    };
    let mut progress = match signed.submit_and_watch().await {
        Ok(p) => p,
        Err(e) if errors::is_transport(&e) => return Err(unknown(e.to_string())),
        // The node refused it outright (bad nonce, stale era, pre-dispatch check).
        Err(e) => {
            return Err(match rejection::from_error(&e) {
                Some(r) => ChainError::Rejected(r),
                None => rejected(&e.to_string()),
            })
        }
    };
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let status = match tokio::time::timeout(left, progress.next()).await {
            Err(_) => return Err(unknown(format!("not included within {timeout:?}"))),
            Ok(None) => return Err(unknown("status stream ended".into())),
            Ok(Some(Err(e))) => return Err(unknown(e.to_string())),
            Ok(Some(Ok(s))) => s,
        };
        match status {
            TransactionStatus::InBestBlock(b) | TransactionStatus::InFinalizedBlock(b) => {
                return included(&b, &tx_hash, expect).await.map_err(unknown);
            }
            TransactionStatus::Invalid { message } => return Err(rejected(&message)),
            TransactionStatus::Dropped { message } | TransactionStatus::Error { message } => {
                return Err(unknown(message))
            }
            _ => {}
        }
    }
}

/// The outcome of an included extrinsic, from its own events.
async fn included<C>(
    b: &TransactionInBlock<SubtensorConfig, C>,
    tx_hash: &str,
    expect: Expect,
) -> Result<TxOutcome, String>
where
    C: subxt::client::OnlineClientAtBlockT<SubtensorConfig>,
{
    let at = b.at().await.map_err(|e| e.to_string())?;
    let events = b.fetch_events().await.map_err(|e| e.to_string())?;
    let mut recs = Vec::new();
    for ev in events.iter() {
        let ev = ev.map_err(|e| e.to_string())?;
        let fields = ev
            .decode_fields_unchecked_as::<Composite<()>>()
            .map_err(|e| e.to_string())?;
        recs.push(EventRec {
            pallet: ev.pallet_name().to_string(),
            name: ev.event_name().to_string(),
            fields,
        });
    }
    let parsed = events::parse(&recs, &expect.payer, expect.kind, at.metadata_ref());
    Ok(TxOutcome {
        block: at.block_number(),
        tx_hash: tx_hash.to_string(),
        fee_rao: parsed.fee_rao,
        burned_rao: parsed.burned_rao,
        stake: parsed.stake,
        amounts_known: parsed.amounts_known,
        result: parsed.result,
    })
}
