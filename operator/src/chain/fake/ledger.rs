//! Extrinsics as the fake chain sees them (only public keys) and the ledger that records every
//! one that reached it, for invariant checks such as "exactly one burn".

use serde::{Deserialize, Serialize};

use crate::chain::{AccountId, FindTx, FoundTx, StakeMoved, TxOutcome, TxParams, TxResult};

/// A call of pallet `SubtensorModule`, with its real argument shapes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case", deny_unknown_fields)]
pub enum Call {
    BurnedRegister {
        netuid: u16,
        hotkey: AccountId,
    },
    RegisterLimit {
        netuid: u16,
        hotkey: AccountId,
        limit_price: u64,
    },
    AddStake {
        netuid: u16,
        hotkey: AccountId,
        amount_staked: u64,
    },
    RemoveStake {
        netuid: u16,
        hotkey: AccountId,
        amount_unstaked: u64,
    },
    AddStakeLimit {
        netuid: u16,
        hotkey: AccountId,
        amount_staked: u64,
        limit_price: u64,
        allow_partial: bool,
    },
    RemoveStakeLimit {
        netuid: u16,
        hotkey: AccountId,
        amount_unstaked: u64,
        limit_price: u64,
        allow_partial: bool,
    },
    /// `swap_hotkey_v2` (HEAD `macros/dispatches.rs:1055-1067`; `swap_hotkey` is the same with
    /// `keep_stake: false`, and spec 218's has no `netuid`: all subnets), signed by the coldkey.
    SwapHotkey {
        hotkey: AccountId,
        new_hotkey: AccountId,
        #[serde(default)]
        netuid: Option<u16>,
        #[serde(default)]
        keep_stake: bool,
    },
    /// Signed by the hotkey itself. `ip` is the u128 form (IPv4 in the low 32 bits).
    ServeAxon {
        netuid: u16,
        version: u32,
        ip: u128,
        port: u16,
        ip_type: u8,
        protocol: u8,
    },
}

impl Call {
    /// The netuid and hotkey the call names (`serve_axon` names no hotkey: its signer is it).
    pub fn target(&self) -> (Option<u16>, Option<AccountId>) {
        match self {
            Call::BurnedRegister { netuid, hotkey }
            | Call::RegisterLimit { netuid, hotkey, .. }
            | Call::AddStake { netuid, hotkey, .. }
            | Call::RemoveStake { netuid, hotkey, .. }
            | Call::AddStakeLimit { netuid, hotkey, .. }
            | Call::RemoveStakeLimit { netuid, hotkey, .. } => (Some(*netuid), Some(*hotkey)),
            Call::SwapHotkey { netuid, hotkey, .. } => (*netuid, Some(*hotkey)),
            Call::ServeAxon { netuid, .. } => (Some(*netuid), None),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Call::BurnedRegister { .. } => "burned_register",
            Call::RegisterLimit { .. } => "register_limit",
            Call::AddStake { .. } => "add_stake",
            Call::RemoveStake { .. } => "remove_stake",
            Call::AddStakeLimit { .. } => "add_stake_limit",
            Call::RemoveStakeLimit { .. } => "remove_stake_limit",
            Call::SwapHotkey { .. } => "swap_hotkey_v2",
            Call::ServeAxon { .. } => "serve_axon",
        }
    }
}

/// A signed extrinsic: who signs (nonce, fee), for whom (`real`, through `Proxy.proxy`), what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub signer: AccountId,
    #[serde(default)]
    pub real: Option<AccountId>,
    /// `force_proxy_type` of `Proxy.proxy` (a `ProxyType` variant name), when proxied.
    #[serde(default)]
    pub proxy_type: Option<String>,
    pub tx: TxParams,
    pub call: Call,
}

impl Submission {
    /// The account the call acts for (pays burns and stakes).
    pub fn payer(&self) -> AccountId {
        self.real.unwrap_or(self.signer)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LedgerOutcome {
    /// In block `block`; the signer's nonce moved and the fee was paid.
    Included { block: u64, result: TxResult },
    /// Refused by the pool: nothing changed.
    Rejected { reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub seq: u64,
    pub tx_hash: String,
    pub method: String,
    pub signer: AccountId,
    pub payer: AccountId,
    pub via_proxy: bool,
    pub nonce: u64,
    pub call: Call,
    pub outcome: LedgerOutcome,
    pub burned_rao: u64,
    /// Stake moved by an included staking call.
    #[serde(default)]
    pub stake: Option<StakeMoved>,
    pub fee_rao: u64,
    /// Set when an injected fault hid the outcome from the caller.
    pub result_lost: bool,
}

impl LedgerEntry {
    pub fn included(&self) -> bool {
        matches!(self.outcome, LedgerOutcome::Included { .. })
    }

    pub fn succeeded(&self) -> bool {
        matches!(
            self.outcome,
            LedgerOutcome::Included {
                result: TxResult::Success,
                ..
            }
        )
    }
}

/// What a scan of blocks `from..=to` for (signer, nonce) finds: the included extrinsic, never a
/// refused one (it reached no block).
pub fn find(entries: &[LedgerEntry], q: &FindTx) -> Option<FoundTx> {
    entries.iter().find_map(|e| {
        let LedgerOutcome::Included { block, result } = &e.outcome else {
            return None;
        };
        let hit = e.signer == q.signer && e.nonce == q.nonce;
        (hit && (q.from_block..=q.to_block).contains(block)).then(|| FoundTx {
            call: format!("SubtensorModule.{}", e.method),
            hotkey: e.call.target().1,
            netuid: e.call.target().0,
            outcome: TxOutcome {
                block: *block,
                tx_hash: e.tx_hash.clone(),
                fee_rao: e.fee_rao,
                burned_rao: e.burned_rao,
                stake: e.stake,
                amounts_known: true,
                result: result.clone(),
            },
        })
    })
}

/// A deterministic, unique hash-looking id for the `seq`-th submission.
pub fn tx_hash(seq: u64, signer: &AccountId, nonce: u64) -> String {
    format!(
        "0x{}{:016x}{:016x}",
        hex::encode(&signer.0[..16]),
        nonce,
        seq
    )
}
