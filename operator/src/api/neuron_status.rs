//! `Neuron` status: phase, chain figures, and the audit of what the operator paid or did.

use super::Condition;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Lifecycle phase shown in `kubectl get neurons`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum NeuronPhase {
    #[default]
    Pending,
    Registering,
    Registered,
    Running,
    Degraded,
    Deregistered,
    Suspended,
    Failed,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NeuronStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default)]
    pub phase: NeuronPhase,
    /// ss58 of the hotkey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotkey: Option<String>,
    /// ss58 of the coldkey that owns (or will own) the hotkey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coldkey: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at_block: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immune_until_block: Option<u64>,
    /// Audit trail of spend: the last registrations submitted (the ledger, `kubectl get spend
    /// -l tensorfleet.io/neuron=NAME`, has them all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registration: Vec<RegistrationRecord>,
    /// A registration recorded before submission and not yet resolved against the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_registration: Option<RegistrationIntent>,
    /// The last stake operations the operator made (validators); the ledger has them all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stake_operations: Vec<StakeRecord>,
    /// A stake operation recorded before submission and not yet resolved against the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_stake: Option<StakeIntent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<NeuronChainStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<PodStatusSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_restarts: Option<OperatorRestarts>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

/// One submitted registration and what came of it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationRecord {
    /// Block the extrinsic was included in (or the head when it failed before inclusion).
    pub block: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    /// Burn actually paid, in rao (0 when nothing was burned).
    pub paid_rao: u64,
    /// Success, or the chain's error name (e.g. HotKeyAlreadyRegisteredInSubNet).
    pub result: String,
    /// The hotkey registered (ss58).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotkey: Option<String>,
    /// When the outcome was recorded (RFC 3339); budgets over 24 h are counted from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// Intent recorded before a registration extrinsic is submitted, so that a restarted operator
/// checks the chain instead of paying twice.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationIntent {
    pub hotkey: String,
    /// Most the extrinsic may burn, in rao.
    pub limit_rao: u64,
    /// Nonce of the signing account used for the extrinsic.
    pub nonce: u64,
    /// The transaction is mortal: it cannot be included after this block.
    pub mortal_until_block: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    /// RFC 3339 time the intent was recorded.
    pub at: String,
    /// The ledger record (`kubectl get spend NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spend: Option<String>,
}

/// Direction of a stake operation.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum StakeKind {
    #[default]
    Add,
    Remove,
}

/// One submitted stake operation and what came of it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StakeRecord {
    pub kind: StakeKind,
    pub block: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    pub amount_rao: u64,
    /// Success, or the chain's error name.
    pub result: String,
    /// RFC 3339; the daily cap is counted from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// Intent recorded before a stake extrinsic is submitted.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StakeIntent {
    pub kind: StakeKind,
    /// TAO rao to add, or alpha-rao to remove.
    pub amount_rao: u64,
    pub nonce: u64,
    pub mortal_until_block: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    pub at: String,
    /// The ledger record (`kubectl get spend NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spend: Option<String>,
}

/// On-chain figures of the hotkey, from the Subnet's latest snapshot.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NeuronChainStatus {
    pub block: u64,
    /// All alpha on the hotkey on this subnet, in rao-units of alpha (delegations included).
    pub stake_rao: u64,
    /// Its TAO value at `alphaPrice` (empty when the price is unknown).
    pub stake_tao: String,
    /// The coldkey's own alpha on the hotkey (what a stake target is about).
    #[serde(default)]
    pub own_stake_rao: u64,
    /// Its TAO value at `alphaPrice`.
    #[serde(default)]
    pub own_stake_tao: String,
    /// TAO per alpha when read (decimal string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha_price: Option<String>,
    pub rank: f64,
    pub trust: f64,
    pub consensus: f64,
    pub incentive: f64,
    pub dividends: f64,
    pub emission_rao: u64,
    pub validator_permit: bool,
    pub active: bool,
    pub last_update: u64,
    pub blocks_since_last_update: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub axon: Option<AxonEndpoint>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct AxonEndpoint {
    pub ip: String,
    pub port: u16,
}

/// The neuron's pod as last seen.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodStatusSummary {
    pub name: String,
    pub ready: bool,
    pub restarts: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// GPU model of the node, as reported by the tensorfleet agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_count: Option<u32>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperatorRestarts {
    pub count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at: Option<String>,
    /// RFC 3339 times of restarts within the last hour (for the hourly cap and backoff).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<String>,
}
