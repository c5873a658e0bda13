//! `Neuron`: one hotkey on one subnet, run as at most one pod.

use super::{AxonExpose, NeuronStatus, RegistrationMode, Role, Tao};
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
        json_path = ".status.chain.ownStakeTao"
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
    /// Keep the TAO value of the coldkey's own alpha on (hotkey, netuid) at least this, valued
    /// at the subnet's current price (others' stake on the hotkey never counts).
    pub target_tao: Tao,
    /// Cap on TAO spent on stake in any 24 h (counted from the ledger); default: targetTao.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_add_per_day_tao: Option<Tao>,
    /// Every add/remove carries a price limit this far (percent) from the price read before
    /// submitting (`add_stake_limit` / `remove_stake_limit`). Default "1".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_slippage_percent: Option<String>,
    /// Remove stake above the target. Default false: never unstake.
    #[serde(default)]
    pub allow_unstake: bool,
}

/// Default `stake.maxSlippagePercent`.
pub const DEFAULT_SLIPPAGE_PERCENT: f64 = 1.0;

impl StakeSpec {
    /// `maxSlippagePercent` as a number: more than 0 and below 100.
    pub fn slippage_percent(&self) -> Result<f64, String> {
        let Some(s) = self.max_slippage_percent.as_deref() else {
            return Ok(DEFAULT_SLIPPAGE_PERCENT);
        };
        match s.trim().parse::<f64>() {
            Ok(p) if p > 0.0 && p < 100.0 => Ok(p),
            _ => Err(format!("{s:?} is not a percentage above 0 and below 100")),
        }
    }
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
    /// Validators: restart the pod when last_update is older than this many blocks; 0 = off.
    /// Unset: derived from the subnet (half its activity cutoff, which follows its tempo; the
    /// WeightsFresh condition says which). Acted on within one poll interval of crossing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_weight_age_blocks: Option<u64>,
    /// Ceiling on operator-initiated restarts per hour. Default 3.
    #[serde(default = "default_max_restarts")]
    pub max_restarts_per_hour: u32,
}

fn default_max_restarts() -> u32 {
    3
}

impl Default for HealthSpec {
    fn default() -> Self {
        Self {
            max_weight_age_blocks: None,
            max_restarts_per_hour: default_max_restarts(),
        }
    }
}
