//! `Spend`: the ledger. One object per extrinsic that can cost TAO (a registration burn, a stake
//! add or remove), created BEFORE it is submitted and resolved exactly once from the chain.
//! Spends outlive the Neurons and NeuronSets that made them (no owner reference): every budget
//! is a sum over them, never over the statuses of objects that may be gone.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the extrinsic does.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum SpendCall {
    Register,
    AddStake,
    RemoveStake,
}

impl SpendCall {
    pub fn as_str(self) -> &'static str {
        match self {
            SpendCall::Register => "Register",
            SpendCall::AddStake => "AddStake",
            SpendCall::RemoveStake => "RemoveStake",
        }
    }
}

#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "tensorfleet.io",
    version = "v1alpha1",
    kind = "Spend",
    namespaced,
    status = "SpendStatus",
    shortname = "spend",
    category = "tensorfleet",
    derive = "PartialEq",
    doc = "One extrinsic that may cost TAO, recorded before submission and resolved once from the chain.",
    printcolumn(
        name = "When",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    printcolumn(name = "Neuron", type_ = "string", json_path = ".spec.neuron"),
    printcolumn(name = "Call", type_ = "string", json_path = ".spec.call"),
    printcolumn(name = "TAO", type_ = "string", json_path = ".status.paidTao"),
    printcolumn(name = "Result", type_ = "string", json_path = ".status.result"),
    printcolumn(name = "Block", type_ = "integer", json_path = ".status.block")
)]
#[serde(rename_all = "camelCase")]
pub struct SpendSpec {
    /// Subnet (name) and netuid the extrinsic acts on.
    pub subnet: String,
    pub netuid: u16,
    /// The Neuron it was made for (by name: budgets follow the name across recreation).
    pub neuron: String,
    /// That Neuron's uid when the spend was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neuron_uid: Option<String>,
    /// The NeuronSet the Neuron belonged to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neuron_set: Option<String>,
    pub call: SpendCall,
    /// Hotkey registered or staked on (ss58).
    pub hotkey: String,
    /// The coldkey that pays (ss58).
    pub coldkey: String,
    /// The account that signs and whose nonce is used (the coldkey, or its proxy key).
    pub signer: String,
    /// The most TAO this extrinsic may take from the coldkey, in rao: the burn limit of a
    /// registration, the amount of an add. 0 for a remove (it sells alpha).
    pub limit_rao: u64,
    /// Amount asked: TAO rao to add, alpha-rao to remove (0 for a registration).
    #[serde(default)]
    pub amount_rao: u64,
    /// The price bound of a stake operation, rao per alpha.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_price_rao: Option<u64>,
    /// The signer's nonce the extrinsic carries.
    pub nonce: u64,
    /// The block it was built on; it cannot be included after `mortalUntilBlock`.
    pub birth_block: u64,
    pub mortal_until_block: u64,
    /// RFC 3339 time of the intent; budget windows count from it.
    pub at: String,
    /// The subnet's `NetworkRegisteredAt` when the intent was made: which subnet the netuid
    /// named then (a dissolved netuid registered anew is another subnet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_registered_at: Option<u64>,
}

/// How the outcome was learnt.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum ResolvedBy {
    /// The inclusion the submission watched, and its events.
    Inclusion,
    /// The blocks of the mortal window, scanned for the signer's nonce (after a crash or a
    /// lost answer), and the found extrinsic's events.
    ChainScan,
    /// Never submitted or refused by the pool: nothing reached a block.
    NotSubmitted,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SpendStatus {
    /// Success, the chain's error name, or how it ended without inclusion (`Expired`,
    /// `NonceUsedElsewhere`, `Rejected...`). Absent while unresolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<ResolvedBy>,
    /// Inclusion block (or the head when it was resolved without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    /// TAO that left the coldkey (burn, or TAO staked), rao; TAO received by a remove.
    #[serde(default)]
    pub paid_rao: u64,
    /// `paidRao` as decimal TAO, for the printer column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_tao: Option<String>,
    /// Alpha bought (add) or sold (remove), alpha-rao.
    #[serde(default)]
    pub alpha_rao: u64,
    #[serde(default)]
    pub fee_rao: u64,
    /// The events did not carry the amount: `paidRao` is the limit (an upper bound).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub amount_unknown: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
}

impl Spend {
    pub fn resolved(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.result.is_some())
    }
}
