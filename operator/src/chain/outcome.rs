//! What a chain request ended in: an included extrinsic's outcome (decoded from its inclusion
//! block's events), a transaction-pool rejection by name, or why nothing could be learned.

use super::AccountId;

/// What happened to an included extrinsic. For `Proxy.proxy` this is the INNER call's result
/// (`Proxy.ProxyExecuted`): the outer call succeeds even when the inner one fails.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TxResult {
    Success,
    /// A dispatch error, by pallet and error name (e.g. `SubtensorModule`, `HotKeyAlreadyRegisteredInSubNet`).
    Failed {
        pallet: String,
        error: String,
    },
}

impl TxResult {
    /// `Success` or the error name, as recorded in status.
    pub fn label(&self) -> &str {
        match self {
            TxResult::Success => "Success",
            TxResult::Failed { error, .. } => error,
        }
    }

    pub fn failed(pallet: &str, error: &str) -> Self {
        TxResult::Failed {
            pallet: pallet.into(),
            error: error.into(),
        }
    }

    /// Failed with this error name (any pallet).
    pub fn is_error(&self, name: &str) -> bool {
        matches!(self, TxResult::Failed { error, .. } if error == name)
    }
}

/// What an extrinsic does, for reading its amounts from its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TxKind {
    Register,
    AddStake,
    RemoveStake,
    Other,
}

/// Stake moved by an included `add_stake*` / `remove_stake*`, from its `StakeAdded` /
/// `StakeRemoved` event (HEAD `macros/events.rs:17-33`: coldkey, hotkey, TAO, alpha, netuid,
/// fee; spec 218 has no fee field).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StakeMoved {
    /// TAO spent (add: all that left the coldkey, the swap fee included) or received (remove),
    /// rao. A partial fill (`allow_partial`) spends less than asked.
    pub tao_rao: u64,
    /// Alpha received (add) or sold (remove), alpha-rao. On remove the stake drops by this
    /// plus `swap_fee_rao` (HEAD `staking/stake_utils.rs:752-766`, `:826-833`).
    pub alpha_rao: u64,
    /// The swap fee the event reports (0 where it has none, e.g. spec 218): in TAO on add, in
    /// alpha on remove (the input token, `pallets/swap/src/pallet/swap_step.rs:117-136`).
    pub swap_fee_rao: u64,
}

/// An included extrinsic.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TxOutcome {
    pub block: u64,
    pub tx_hash: String,
    /// Transaction fee paid (`TransactionPayment.TransactionFeePaid`), rao.
    pub fee_rao: u64,
    /// Burn paid by a registration, from the Balances event that moved it (`Transfer` from the
    /// coldkey since spec 411, `Withdraw` before); 0 otherwise and on failure.
    pub burned_rao: u64,
    /// Stake moved, for a staking call that succeeded.
    #[serde(default)]
    pub stake: Option<StakeMoved>,
    /// Whether the amounts above were seen in the events. False only for a success whose events
    /// carried no amount: the caller must then account with its limit (an upper bound).
    #[serde(default = "yes")]
    pub amounts_known: bool,
    pub result: TxResult,
}

fn yes() -> bool {
    true
}

/// Where to look for the extrinsic `signer` sent with `nonce`: a mortal transaction can only
/// be in its window `birth_block..=mortal_until`, and a nonce is used at most once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FindTx {
    pub signer: AccountId,
    pub nonce: u64,
    pub from_block: u64,
    pub to_block: u64,
    /// For reading the amounts: who pays and what the call does.
    pub payer: AccountId,
    pub kind: TxKind,
}

/// The extrinsic found for a [`FindTx`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FoundTx {
    /// The call, `Pallet.call`, inside `Proxy.proxy` when proxied (so the caller can tell its
    /// own extrinsic from another one that used the same nonce).
    pub call: String,
    /// The call's `hotkey` and `netuid` arguments, when it has them: another registration by
    /// the same account (say, a btcli run with the same coldkey) is not ours.
    #[serde(default)]
    pub hotkey: Option<AccountId>,
    #[serde(default)]
    pub netuid: Option<u16>,
    pub outcome: TxOutcome,
}

/// A transaction the pool refused (`TransactionValidityError`): nothing was included, no fee
/// was paid, the nonce was not used.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rejection {
    /// `InvalidTransaction::Custom(code)`, when it was one.
    pub code: Option<u8>,
    /// The name: subtensor's `CustomTransactionError` variant for a custom code (HEAD
    /// `common/src/transaction_error.rs`), else the `InvalidTransaction` kind (`Stale`,
    /// `Future`, `Payment`, `BadProof`, ...), else `Unknown`.
    pub name: String,
    /// What the node said.
    pub message: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(c) => write!(f, "{} (Custom({c})): {}", self.name, self.message),
            None => write!(f, "{}: {}", self.name, self.message),
        }
    }
}

/// Why a chain call did not produce an outcome. Never contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum ChainError {
    #[error("no endpoint reachable: {0}")]
    Unreachable(String),
    #[error("request timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// The endpoint refused the request for its rate limit (HTTP 429, "too many requests")
    /// before passing it to a node: nothing reached the chain.
    #[error("rate limited: {0}")]
    RateLimited(String),
    /// Submitted, but inclusion was not seen in time: the caller must read the chain before retrying.
    #[error("transaction {tx_hash} submitted, outcome unknown: {reason}")]
    OutcomeUnknown { tx_hash: String, reason: String },
    #[error("transaction rejected by the pool: {0}")]
    Rejected(Rejection),
    #[error("subnet {0} does not exist")]
    SubnetNotFound(u16),
    #[error("burn {burn} rao is above the limit {limit} rao")]
    BurnAboveLimit { burn: u64, limit: u64 },
    /// Refused before signing: the pool price is past the caller's limit (runtimes without
    /// `add_stake_limit` / `remove_stake_limit`).
    #[error("alpha price {price} rao is past the limit {limit} rao")]
    PriceBeyondLimit { price: u64, limit: u64 },
    /// Refused before signing: the proxy key cannot make this call for its real account.
    #[error("{0}")]
    ProxyNotAllowed(String),
    #[error("the runtime does not support {0}")]
    Unsupported(String),
    #[error("could not decode {0}")]
    Decode(String),
    #[error("{0}")]
    Other(String),
}

impl ChainError {
    /// Short label for metrics.
    pub fn metric_label(&self) -> &'static str {
        match self {
            ChainError::Unreachable(_) => "unreachable",
            ChainError::Timeout(_) => "timeout",
            ChainError::RateLimited(_) => "rate_limited",
            ChainError::OutcomeUnknown { .. } => "outcome_unknown",
            ChainError::Rejected(_) => "rejected",
            ChainError::SubnetNotFound(_) => "subnet_not_found",
            ChainError::BurnAboveLimit { .. } => "burn_above_limit",
            ChainError::PriceBeyondLimit { .. } => "price_beyond_limit",
            ChainError::ProxyNotAllowed(_) => "proxy_not_allowed",
            ChainError::Unsupported(_) => "unsupported",
            ChainError::Decode(_) => "decode",
            ChainError::Other(_) => "other",
        }
    }

    /// Whether the chain may have acted on the request (so a retry must first read the chain).
    pub fn maybe_included(&self) -> bool {
        matches!(
            self,
            ChainError::OutcomeUnknown { .. } | ChainError::Timeout(_) | ChainError::Unreachable(_)
        )
    }

    /// The pool rejection's name, if this is one.
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            ChainError::Rejected(r) => Some(r),
            _ => None,
        }
    }
}
