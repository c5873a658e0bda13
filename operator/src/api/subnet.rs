//! `Subnet`: one on-chain subnet this namespace takes part in.

use super::{Condition, Network, Tao};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

fn default_poll() -> u32 {
    12
}

/// Desired state of a subnet membership: which chain, which netuid, what registrations may cost.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "tensorfleet.io",
    version = "v1alpha1",
    kind = "Subnet",
    namespaced,
    status = "SubnetStatus",
    shortname = "sn",
    category = "tensorfleet",
    derive = "PartialEq",
    doc = "One on-chain Bittensor subnet this namespace takes part in.",
    printcolumn(name = "Netuid", type_ = "integer", json_path = ".spec.netuid"),
    printcolumn(name = "Network", type_ = "string", json_path = ".spec.network"),
    printcolumn(name = "Block", type_ = "integer", json_path = ".status.block"),
    printcolumn(name = "Burn (TAO)", type_ = "string", json_path = ".status.burnTao"),
    printcolumn(
        name = "Neurons",
        type_ = "string",
        json_path = ".status.neurons.summary",
        description = "registered/total"
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
#[serde(rename_all = "camelCase")]
pub struct SubnetSpec {
    /// The subnet's number on chain. Immutable.
    #[x_kube(validation = Rule::new("self == oldSelf").message("netuid is immutable"))]
    pub netuid: u16,
    /// finney, test or local. Default finney.
    #[serde(default)]
    pub network: Network,
    /// ws:// or wss:// URLs overriding the network's default endpoint. All are watched: reads
    /// and writes go to the freshest healthy one (the first listed among equals); one lagging
    /// behind the others or rate limited is left alone until it recovers (`status.endpoints`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(regex(pattern = r"^wss?://.+")))]
    pub endpoints: Vec<String>,
    /// Seconds between chain polls. Default 12 (one block); minimum 2.
    #[serde(default = "default_poll")]
    #[schemars(range(min = 2))]
    pub poll_interval_seconds: u32,
    /// Caps on what registrations of this subnet's Neurons may burn.
    pub registration: SubnetRegistration,
}

impl SubnetSpec {
    /// The endpoints of the Subnet's pool, in the order listed.
    pub fn endpoint_list(&self) -> Vec<String> {
        if self.endpoints.is_empty() {
            vec![self.network.default_endpoint().to_string()]
        } else {
            self.endpoints.clone()
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubnetRegistration {
    /// Cap on ONE registration of any Neuron of this Subnet.
    pub max_burn_tao: Tao,
    /// Total burn all Neurons of this Subnet may spend in any 24 h.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_tao_per24h: Option<Tao>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubnetStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The endpoint in use: the one that gave the view shown here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Every endpoint of the Subnet, as the operator last judged it. Rewritten when a state
    /// changes; `headBlock`, `latencyMs` and `lastError` otherwise refresh with `block`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<EndpointStatus>,
    /// Chain head when last polled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_polled_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tempo: Option<u16>,
    /// Current registration cost in rao.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burn_rao: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burn_tao: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_allowed: Option<bool>,
    /// uids in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnetwork_n: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_allowed_uids: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immunity_period: Option<u16>,
    /// Blocks after which a validator's weights count as inactive (derived from tempo on
    /// current runtimes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_cutoff: Option<u64>,
    /// The burn's floor (`MinBurn`), rao. The current burn is `burnRao`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_burn_rao: Option<u64>,
    /// The burn's ceiling (`MaxBurn`), rao.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_burn_rao: Option<u64>,
    /// `WeightsVersionKey`: the version validators must set weights with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_version: Option<u64>,
    /// Whether validators must commit weights and reveal them later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_reveal_enabled: Option<bool>,
    /// Changes of the hyperparameters above (`tempo`, `minBurnRao`, `maxBurnRao`,
    /// `immunityPeriod`, `weightsVersion`, `commitRevealEnabled`, `maxAllowedUids`,
    /// `activityCutoff`) seen by the operator, oldest first, the last 20 kept. Each also gave a
    /// `HyperparameterChanged` Event.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HyperparameterChange>,
    /// Incentive mechanisms of the subnet; Neuron figures are mechanism 0's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mechanism_count: Option<u8>,
    /// TAO per alpha of the subnet's pool when last written (decimal string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha_price: Option<String>,
    /// Burn recorded by this Subnet's Neurons in the last 24 h.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spent_rao_last24h: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neurons: Option<NeuronCounts>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

/// One hyperparameter change, as seen between two polls.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HyperparameterChange {
    /// The block of the first snapshot showing the new value (it changed at or before it).
    pub block: u64,
    /// When the operator saw it (RFC 3339).
    pub time: String,
    /// The status field's name: `tempo`, `minBurnRao`, `maxBurnRao`, `immunityPeriod`,
    /// `weightsVersion`, `commitRevealEnabled`, `maxAllowedUids` or `activityCutoff`.
    pub parameter: String,
    /// The value recorded before, as written in that field.
    pub from: String,
    /// The new value.
    pub to: String,
}

/// How an endpoint serves.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum EndpointHealth {
    /// Not asked yet.
    #[default]
    Unknown,
    /// Answers at (or within 3 blocks of) the best head seen: may serve reads and writes.
    Healthy,
    /// Answers, but more than 3 blocks behind the best head seen on any endpoint: serves
    /// nothing until it catches up (its view is older than one already acted on).
    Lagging,
    /// Refused for its rate limit (HTTP 429); asked again after a growing backoff.
    RateLimited,
    /// No connection, a timeout, or a lost answer.
    Unreachable,
    /// Answers that are neither data nor a chain verdict (undecodable, unexpected errors), or
    /// a URL the operator cannot use.
    Failing,
}

/// One endpoint of a Subnet.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointStatus {
    /// The URL, with anything that may be a credential (user info, query, key-like path
    /// segments) masked as `***`.
    pub url: String,
    pub state: EndpointHealth,
    /// Its head when last asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_block: Option<u64>,
    /// Smoothed latency of its successful requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Its last failure (kept after recovery), at most 240 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When it entered `state` (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct NeuronCounts {
    pub total: u32,
    pub registered: u32,
    pub ready: u32,
    /// "registered/total", for the printer column.
    pub summary: String,
}

impl NeuronCounts {
    pub fn new(total: u32, registered: u32, ready: u32) -> Self {
        Self {
            total,
            registered,
            ready,
            summary: format!("{registered}/{total}"),
        }
    }
}
