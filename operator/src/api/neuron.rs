//! `Neuron`: one hotkey on one subnet, run as at most one pod.

use super::{AxonExpose, Condition, RegistrationMode, Role, Tao};
use k8s_openapi::api::core::v1::{
    Affinity, EnvFromSource, EnvVar, LocalObjectReference, ResourceRequirements, Toleration,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

fn default_true() -> bool {
    true
}

/// Desired state of one neuron: which subnet and role, which keys, how to run its pod.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "tensorfleet.io",
    version = "v1alpha1",
    kind = "Neuron",
    namespaced,
    status = "NeuronStatus",
    shortname = "nrn",
    category = "tensorfleet",
    derive = "PartialEq",
    doc = "One Bittensor hotkey on one subnet, run as at most one pod.",
    printcolumn(name = "Role", type_ = "string", json_path = ".spec.role"),
    printcolumn(name = "Subnet", type_ = "string", json_path = ".spec.subnet"),
    printcolumn(name = "UID", type_ = "integer", json_path = ".status.uid"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(
        name = "Stake (TAO)",
        type_ = "string",
        json_path = ".status.chain.stakeTao"
    ),
    printcolumn(
        name = "Incentive",
        type_ = "number",
        json_path = ".status.chain.incentive"
    ),
    printcolumn(
        name = "Emission (rao)",
        type_ = "integer",
        json_path = ".status.chain.emissionRao"
    ),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[x_kube(validation = Rule::new("self.role == 'validator' || !has(self.stake)").message("stake is only allowed on validators").reason(Reason::FieldValueForbidden))]
#[serde(rename_all = "camelCase")]
pub struct NeuronSpec {
    /// Name of a Subnet in the same namespace. Immutable.
    #[x_kube(validation = Rule::new("self == oldSelf").message("subnet is immutable"))]
    pub subnet: String,
    /// miner or validator. Immutable.
    #[x_kube(validation = Rule::new("self == oldSelf").message("role is immutable"))]
    pub role: Role,
    /// Which keys the neuron uses.
    #[serde(default)]
    pub wallet: WalletSpec,
    /// How the hotkey gets registered on the subnet.
    #[serde(default)]
    pub registration: NeuronRegistration,
    /// Validators only: stake to keep on the hotkey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stake: Option<StakeSpec>,
    /// The axon (the neuron's served endpoint).
    #[serde(default)]
    pub axon: AxonSpec,
    /// Container image of the miner or validator.
    #[schemars(length(min = 1))]
    pub image: String,
    /// As in a container: Always, IfNotPresent or Never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// Entrypoint override, as in a container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Arguments, as in a container; $(BT_...) variables expand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Extra environment variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Extra environment from ConfigMaps or Secrets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_from: Vec<EnvFromSource>,
    /// CPU/memory requests and limits of the neuron container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Number of GPUs: sets the nvidia.com/gpu limit and request.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub gpus: u32,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// RuntimeClass of the pod, e.g. nvidia.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<LocalObjectReference>,
    /// Optional persistent volume for models and state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageSpec>,
    /// Chain-level health checks and the operator's restart ceiling.
    #[serde(default)]
    pub health: HealthSpec,
    /// true: scale the pod to zero; registration and stake are left untouched.
    #[serde(default)]
    pub suspend: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WalletSpec {
    /// Wallet directory name inside the pod; default: the Neuron's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Secret holding the hotkey; default "<neuron>-hotkey".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotkey_secret: Option<String>,
    /// Create the hotkey Secret with a fresh sr25519 hotkey if it is missing. Default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate_hotkey: Option<bool>,
    /// Secret holding the coldkey or a proxy key; used by the operator only, never mounted into the pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coldkey_secret: Option<String>,
}

impl WalletSpec {
    pub fn generate_hotkey(&self) -> bool {
        self.generate_hotkey.unwrap_or(true)
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NeuronRegistration {
    /// auto: the operator registers by burn; external: someone else registers, the operator never spends.
    #[serde(default)]
    pub mode: RegistrationMode,
    /// Cap on one registration of this Neuron; the effective cap is min(this, the Subnet's cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_burn_tao: Option<Tao>,
    /// Register again after deregistration (within caps and budget). Default true.
    #[serde(default = "default_true")]
    pub reregister: bool,
}

impl Default for NeuronRegistration {
    fn default() -> Self {
        Self {
            mode: RegistrationMode::Auto,
            max_burn_tao: None,
            reregister: true,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StakeSpec {
    /// Keep at least this much stake on the hotkey on this subnet.
    pub target_tao: Tao,
    /// Cap on stake added in any 24 h; default: targetTao.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_add_per_day_tao: Option<Tao>,
    /// Remove stake above the target. Default false: never unstake.
    #[serde(default)]
    pub allow_unstake: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AxonSpec {
    /// Container port and BT_AXON_PORT. Default 8091.
    #[serde(default = "default_axon_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    /// None, HostPort, NodePort or LoadBalancer. Default NodePort.
    #[serde(default)]
    pub expose: AxonExpose,
    /// Publish ip:port on chain (serve_axon) and keep it current. Default true.
    #[serde(default = "default_true")]
    pub serve: bool,
    /// Override of the discovered external address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_ip: Option<String>,
}

fn default_axon_port() -> u16 {
    8091
}

impl Default for AxonSpec {
    fn default() -> Self {
        Self {
            port: default_axon_port(),
            expose: AxonExpose::default(),
            serve: true,
            external_ip: None,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageSpec {
    /// Size of the volume, e.g. 100Gi.
    pub size: Quantity,
    /// StorageClass; empty: the cluster default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
    /// Where the volume is mounted. Default /data.
    #[serde(default = "default_mount_path")]
    pub mount_path: String,
}

fn default_mount_path() -> String {
    "/data".into()
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthSpec {
    /// Validators: restart the pod when last_update is older than this many blocks; 0 = off. Default 1000.
    #[serde(default = "default_max_weight_age")]
    pub max_weight_age_blocks: u64,
    /// Ceiling on operator-initiated restarts per hour. Default 3.
    #[serde(default = "default_max_restarts")]
    pub max_restarts_per_hour: u32,
}

fn default_max_weight_age() -> u64 {
    1000
}
fn default_max_restarts() -> u32 {
    3
}

impl Default for HealthSpec {
    fn default() -> Self {
        Self {
            max_weight_age_blocks: default_max_weight_age(),
            max_restarts_per_hour: default_max_restarts(),
        }
    }
}

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
    /// Audit trail of spend: one entry per submitted registration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registration: Vec<RegistrationRecord>,
    /// A registration recorded before submission and not yet resolved against the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_registration: Option<RegistrationIntent>,
    /// Audit trail of stake the operator added or removed (validators).
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
    pub amount_rao: u64,
    /// Stake on the hotkey when the intent was recorded: a change shows the operation landed.
    pub stake_before_rao: u64,
    pub nonce: u64,
    pub mortal_until_block: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    pub at: String,
}

/// On-chain figures of the hotkey, from the Subnet's latest snapshot.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NeuronChainStatus {
    pub block: u64,
    pub stake_rao: u64,
    pub stake_tao: String,
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
