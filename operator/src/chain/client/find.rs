//! Finding an extrinsic after the fact: the one a signer sent with a given nonce, in the blocks
//! of its mortal window. A nonce is used once per account, so (signer, nonce) names exactly one
//! extrinsic; no hash is needed (sr25519 signatures are randomised, a re-signed transaction
//! would have another hash anyway). Its outcome comes from its own events, as at submission.

use subxt::ext::scale_value::{Composite, Value, ValueDef};

use super::connection::Conn;
use super::errors;
use super::events::{self, EventRec};
use crate::chain::{AccountId, ChainError, FindTx, FoundTx, TxOutcome};

/// Scans `q.from_block..=q.to_block`, oldest first.
pub async fn find(c: &Conn, q: &FindTx) -> Result<Option<FoundTx>, ChainError> {
    // `MultiAddress::Id(signer)`: variant 0, then the 32 bytes.
    let mut address = vec![0u8];
    address.extend(q.signer.0);
    for block in q.from_block..=q.to_block {
        let at = c
            .client
            .at_block(block)
            .await
            .map_err(|e| errors::map(&c.url, e))?;
        let extrinsics = at
            .extrinsics()
            .fetch()
            .await
            .map_err(|e| ChainError::Other(format!("block {block}: {e}")))?;
        for ext in extrinsics.iter() {
            let ext = ext.map_err(|e| ChainError::Decode(format!("block {block}: {e}")))?;
            if ext.address_bytes() != Some(&address[..]) {
                continue;
            }
            let nonce = ext.transaction_extensions().and_then(|t| t.nonce());
            if nonce != Some(q.nonce) {
                continue;
            }
            let (call, hotkey, netuid) = call_of(&ext)?;
            let evs = ext
                .events()
                .await
                .map_err(|e| ChainError::Other(format!("events of block {block}: {e}")))?;
            let mut recs = Vec::new();
            for ev in evs.iter() {
                let ev = ev.map_err(|e| ChainError::Decode(e.to_string()))?;
                let fields = ev
                    .decode_fields_unchecked_as::<Composite<()>>()
                    .map_err(|e| ChainError::Decode(e.to_string()))?;
                recs.push(EventRec {
                    pallet: ev.pallet_name().to_string(),
                    name: ev.event_name().to_string(),
                    fields,
                });
            }
            let parsed = events::parse(&recs, &q.payer, q.kind, at.metadata_ref());
            let outcome = TxOutcome {
                block,
                tx_hash: super::submit::hash_hex(ext.hash()),
                fee_rao: parsed.fee_rao,
                burned_rao: parsed.burned_rao,
                stake: parsed.stake,
                amounts_known: parsed.amounts_known,
                result: parsed.result,
            };
            return Ok(Some(FoundTx {
                call,
                hotkey,
                netuid,
                outcome,
            }));
        }
    }
    Ok(None)
}

/// The call (`Pallet.call`) and its `hotkey` and `netuid` arguments; for `Proxy.proxy` the
/// wrapped call's (its `call` argument is a `RuntimeCall`, decoded as a variant of pallets
/// holding a variant of calls whose fields are named as in the metadata).
fn call_of<C>(
    ext: &subxt::extrinsics::Extrinsic<'_, super::config::SubtensorConfig, C>,
) -> Result<(String, Option<AccountId>, Option<u16>), ChainError>
where
    C: subxt::client::OfflineClientAtBlockT<super::config::SubtensorConfig>,
{
    let outer = format!("{}.{}", ext.pallet_name(), ext.call_name());
    let fields = ext
        .decode_call_data_fields_unchecked_as::<Composite<()>>()
        .map_err(|e| ChainError::Decode(format!("{outer}: {e}")))?;
    let args = Value {
        value: ValueDef::Composite(fields),
        context: (),
    };
    if outer != "Proxy.proxy" {
        let (hotkey, netuid) = target(&args);
        return Ok((outer, hotkey, netuid));
    }
    let inner = super::value::items(&args)
        .and_then(|v| v.last().copied())
        .and_then(|runtime_call| {
            let (pallet, calls) = super::value::variant(runtime_call)?;
            let call = *calls.first()?;
            let (name, _) = super::value::variant(call)?;
            let (hotkey, netuid) = target(call);
            Some((format!("{pallet}.{name}"), hotkey, netuid))
        });
    Ok(inner.unwrap_or((outer, None, None)))
}

/// A call's `hotkey` and `netuid` arguments (newtypes unwrapped).
fn target(args: &Value<()>) -> (Option<AccountId>, Option<u16>) {
    let hotkey = super::value::field(args, "hotkey")
        .and_then(super::value::account)
        .map(AccountId);
    let netuid = super::value::field(args, "netuid")
        .and_then(super::value::uint)
        .and_then(|n| u16::try_from(n).ok());
    (hotkey, netuid)
}
