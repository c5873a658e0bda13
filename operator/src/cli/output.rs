//! Human or JSON output of the chain commands.

use std::io::Write;

use serde_json::Value;

use crate::api::format_tao;
use crate::chain::{TxOutcome, TxResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// Write `json` (pretty) or the human lines.
pub fn emit(fmt: Format, w: &mut dyn Write, json: &Value, human: &[String]) -> anyhow::Result<()> {
    match fmt {
        Format::Json => writeln!(w, "{}", serde_json::to_string_pretty(json)?)?,
        Format::Human => {
            for line in human {
                writeln!(w, "{line}")?;
            }
        }
    }
    Ok(())
}

pub fn tao(rao: u64) -> String {
    format!("{} TAO", format_tao(rao))
}

pub fn outcome_json(o: &TxOutcome) -> Value {
    serde_json::json!({
        "block": o.block,
        "txHash": o.tx_hash,
        "feeRao": o.fee_rao,
        "burnedRao": o.burned_rao,
        "stake": o.stake.map(|m| serde_json::json!({
            "taoRao": m.tao_rao, "alphaRao": m.alpha_rao, "swapFeeRao": m.swap_fee_rao,
        })),
        "amountsKnown": o.amounts_known,
        "result": o.result.label(),
        "pallet": match &o.result { TxResult::Failed { pallet, .. } => Some(pallet), _ => None },
    })
}

pub fn outcome_lines(o: &TxOutcome) -> Vec<String> {
    let mut lines = vec![
        format!("included in block {} as {}", o.block, o.tx_hash),
        format!("result:  {}", o.result.label()),
        format!("fee:     {}", tao(o.fee_rao)),
        format!("burned:  {}", tao(o.burned_rao)),
    ];
    if let Some(m) = o.stake {
        lines.push(format!(
            "stake:   {} for {} alpha",
            tao(m.tao_rao),
            format_tao(m.alpha_rao)
        ));
    }
    if !o.amounts_known {
        lines.push("amounts: not shown in the block's events".into());
    }
    lines
}
