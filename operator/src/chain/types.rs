//! Chain-side value types shared by the client, the fake and the operator.

use std::fmt;
use std::net::IpAddr;

/// A 32-byte sr25519 public key / AccountId32.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub [u8; 32]);

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", crate::keys::ss58_encode(&self.0))
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::keys::ss58_encode(&self.0))
    }
}

impl AccountId {
    pub fn ss58(&self) -> String {
        crate::keys::ss58_encode(&self.0)
    }

    pub fn from_ss58(s: &str) -> Result<Self, crate::keys::KeyError> {
        crate::keys::ss58_decode(s).map(AccountId)
    }
}

/// Serialised as SS58; `0x`-prefixed hex is accepted too (public keys only, for the fake chain's wire).
impl serde::Serialize for AccountId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.ss58())
    }
}

impl<'de> serde::Deserialize<'de> for AccountId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let s = String::deserialize(d)?;
        if let Some(h) = s.strip_prefix("0x") {
            let bytes: [u8; 32] = hex::decode(h)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| D::Error::custom("account: expected 0x + 32 bytes hex"))?;
            return Ok(AccountId(bytes));
        }
        AccountId::from_ss58(&s).map_err(D::Error::custom)
    }
}

/// Subnet-wide parameters, read at one block.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SubnetParams {
    /// Current registration cost (`Burn`), rao.
    pub burn: u64,
    pub min_burn: u64,
    pub max_burn: u64,
    pub difficulty: u64,
    pub registration_allowed: bool,
    pub tempo: u16,
    pub immunity_period: u16,
    /// uids in use.
    pub subnetwork_n: u16,
    pub max_allowed_uids: u16,
    /// Blocks between two serve_axon calls of one hotkey.
    pub serving_rate_limit: u64,
    /// `LastEpochBlock` on runtimes with the dynamic-tempo scheduler (epochs every `tempo`
    /// blocks from it); None: the legacy schedule `(block + netuid + 1) % (tempo + 1) == tempo`.
    #[serde(default)]
    pub last_epoch_block: Option<u64>,
}

/// Axon endpoint as published on chain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AxonInfo {
    /// Block of the last serve_axon.
    pub block: u64,
    pub ip: IpAddr,
    pub port: u16,
    pub version: u32,
}

/// One registered uid's figures. u16-normalised values are already divided by 65535.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NeuronInfo {
    pub uid: u16,
    pub hotkey: AccountId,
    pub coldkey: AccountId,
    pub active: bool,
    /// None when the hotkey never served (ip 0).
    pub axon: Option<AxonInfo>,
    /// Stake on this hotkey on this subnet, rao.
    pub stake: u64,
    pub rank: f64,
    pub trust: f64,
    pub consensus: f64,
    pub incentive: f64,
    pub dividends: f64,
    /// None when the read did not include it (`get_metagraph` has no validator trust).
    #[serde(default)]
    pub validator_trust: Option<f64>,
    pub emission: u64,
    pub last_update: u64,
    pub validator_permit: bool,
    pub registered_at_block: u64,
}

/// A whole subnet at one block.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SubnetSnapshot {
    pub netuid: u16,
    pub block: u64,
    pub params: SubnetParams,
    pub neurons: Vec<NeuronInfo>,
}

impl SubnetSnapshot {
    pub fn neuron_by_hotkey(&self, hotkey: &AccountId) -> Option<&NeuronInfo> {
        self.neurons.iter().find(|n| &n.hotkey == hotkey)
    }
}

/// Who signs an extrinsic that spends from a coldkey.
#[derive(Clone)]
pub enum Signer {
    /// The coldkey itself.
    Key(subxt_signer::sr25519::Keypair),
    /// A proxy key submitting `Proxy.proxy(real, Some(proxy_type), call)`; `real` pays.
    Proxy {
        proxy: subxt_signer::sr25519::Keypair,
        real: AccountId,
    },
}

/// The keys module stays free of chain types; this is its one bridge.
impl From<crate::keys::ColdkeySigner> for Signer {
    fn from(s: crate::keys::ColdkeySigner) -> Self {
        match s {
            crate::keys::ColdkeySigner::Key(k) => Signer::Key(k),
            crate::keys::ColdkeySigner::Proxy { proxy, real } => Signer::Proxy {
                proxy,
                real: AccountId(real),
            },
        }
    }
}

impl Signer {
    /// The account that pays (the coldkey).
    pub fn payer(&self) -> AccountId {
        match self {
            Signer::Key(k) => AccountId(k.public_key().0),
            Signer::Proxy { real, .. } => *real,
        }
    }

    /// The account that signs (and whose nonce is used).
    pub fn signer_account(&self) -> AccountId {
        match self {
            Signer::Key(k) => AccountId(k.public_key().0),
            Signer::Proxy { proxy, .. } => AccountId(proxy.public_key().0),
        }
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signer::Key(_) => write!(f, "Signer::Key({})", self.payer()),
            Signer::Proxy { real, .. } => {
                write!(f, "Signer::Proxy(for {real}, as {})", self.signer_account())
            }
        }
    }
}

/// Nonce and mortality chosen by the caller, so they can be recorded before submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TxParams {
    pub nonce: u64,
    /// Block the mortal era starts at (a recent head).
    pub birth_block: u64,
    /// Mortality period in blocks; the tx cannot be included after `birth_block + period`.
    pub period: u64,
}

impl TxParams {
    pub fn mortal_until(&self) -> u64 {
        self.birth_block + self.period
    }
}

pub struct RegisterRequest<'a> {
    pub netuid: u16,
    pub hotkey: AccountId,
    pub limit_rao: u64,
    pub signer: &'a Signer,
    pub tx: TxParams,
}

pub struct StakeRequest<'a> {
    pub netuid: u16,
    pub hotkey: AccountId,
    pub amount_rao: u64,
    pub signer: &'a Signer,
    pub tx: TxParams,
}

pub struct ServeAxonRequest<'a> {
    pub netuid: u16,
    pub hotkey: &'a subxt_signer::sr25519::Keypair,
    pub ip: IpAddr,
    pub port: u16,
    pub version: u32,
    pub tx: TxParams,
}

/// What happened to an included extrinsic.
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
}

/// An included extrinsic.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TxOutcome {
    pub block: u64,
    pub tx_hash: String,
    /// Transaction fee paid, rao.
    pub fee_rao: u64,
    /// Burn paid by a registration (0 otherwise and on failure), rao.
    pub burned_rao: u64,
    pub result: TxResult,
}

/// Why a chain call did not produce an outcome. Never contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum ChainError {
    #[error("no endpoint reachable: {0}")]
    Unreachable(String),
    #[error("request timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// Submitted, but inclusion was not seen in time: the caller must read the chain before retrying.
    #[error("transaction {tx_hash} submitted, outcome unknown: {reason}")]
    OutcomeUnknown { tx_hash: String, reason: String },
    #[error("transaction rejected by the pool: {0}")]
    Rejected(String),
    #[error("subnet {0} does not exist")]
    SubnetNotFound(u16),
    #[error("burn {burn} rao is above the limit {limit} rao")]
    BurnAboveLimit { burn: u64, limit: u64 },
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
            ChainError::OutcomeUnknown { .. } => "outcome_unknown",
            ChainError::Rejected(_) => "rejected",
            ChainError::SubnetNotFound(_) => "subnet_not_found",
            ChainError::BurnAboveLimit { .. } => "burn_above_limit",
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
}
