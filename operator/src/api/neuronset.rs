//! `NeuronSet`: a fleet of Neurons stamped from one template, each with its own hotkey.

use super::{Condition, NeuronSpec, RolloutSpec, RolloutStatus, Tao};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

fn default_replicas() -> i32 {
    1
}

#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "tensorfleet.io",
    version = "v1alpha1",
    kind = "NeuronSet",
    namespaced,
    status = "NeuronSetStatus",
    shortname = "nrs",
    category = "tensorfleet",
    derive = "PartialEq",
    doc = "A fleet of Neurons stamped from one template, each with its own generated hotkey.",
    scale(
        spec_replicas_path = ".spec.replicas",
        status_replicas_path = ".status.replicas",
        label_selector_path = ".status.selector"
    ),
    printcolumn(name = "Replicas", type_ = "integer", json_path = ".spec.replicas"),
    printcolumn(name = "Ready", type_ = "integer", json_path = ".status.readyReplicas"),
    printcolumn(
        name = "Registered",
        type_ = "integer",
        json_path = ".status.registeredReplicas"
    ),
    printcolumn(
        name = "Updated",
        type_ = "integer",
        json_path = ".status.updatedReplicas"
    ),
    printcolumn(name = "Spent (TAO)", type_ = "string", json_path = ".status.spentTao"),
    printcolumn(name = "Rollout", type_ = "string", json_path = ".status.rollout.step"),
    printcolumn(
        name = "Canary",
        type_ = "string",
        json_path = ".status.rollout.lastComparison.result"
    ),
    printcolumn(
        name = "Drop",
        type_ = "string",
        json_path = ".status.rollout.lastComparison.drop"
    ),
    printcolumn(
        name = "Revision",
        type_ = "string",
        json_path = ".status.rollout.updateRevision",
        priority = "1"
    ),
    printcolumn(
        name = "Progressing",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Progressing\")].reason"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[x_kube(validation = Rule::new("!has(self.rollout) || !has(self.rollout.metric) || (self.template.role == 'miner') == (self.rollout.metric == 'Incentive')").message("rollout.metric: miners are judged on Incentive, validators on Dividends or ValidatorTrust").reason(Reason::FieldValueInvalid))]
#[serde(rename_all = "camelCase")]
pub struct NeuronSetSpec {
    /// Number of member Neurons (<set>-0 … <set>-N-1). Default 1.
    #[serde(default = "default_replicas")]
    #[schemars(range(min = 0))]
    pub replicas: i32,
    /// A Neuron spec; wallet.hotkeySecret is ignored (each member gets its own).
    pub template: NeuronSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<NeuronSetBudget>,
    #[serde(default)]
    pub update_strategy: UpdateStrategy,
    /// How template changes reach the members: RollingUpdate (default) or a chain-judged Canary.
    #[serde(default)]
    pub rollout: RolloutSpec,
    /// true: a deregistered member gets a NEW hotkey and registers again.
    #[serde(default)]
    pub replace_deregistered: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NeuronSetBudget {
    /// Cap on burn spent registering this set's Neurons, ever.
    pub max_total_burn_tao: Tao,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStrategy {
    /// Members changed at once during a rollout, each waited for until Ready. Default 1.
    #[serde(default = "default_max_unavailable")]
    #[schemars(range(min = 1))]
    pub max_unavailable: i32,
}

fn default_max_unavailable() -> i32 {
    1
}

impl Default for UpdateStrategy {
    fn default() -> Self {
        Self {
            max_unavailable: default_max_unavailable(),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NeuronSetStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default)]
    pub replicas: i32,
    #[serde(default)]
    pub ready_replicas: i32,
    #[serde(default)]
    pub registered_replicas: i32,
    /// Burn the ledger shows for this set's members, ever (rao), members since deleted or
    /// replaced included (`kubectl get spend -l tensorfleet.io/neuronset=NAME`).
    #[serde(default)]
    pub spent_rao: u64,
    /// `spentRao` as a decimal TAO string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spent_tao: Option<String>,
    /// Members whose spec matches the current template.
    #[serde(default)]
    pub updated_replicas: i32,
    /// Label selector of the members, for the scale subresource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Rollout progress: revisions per member, step, last canary comparison, previous template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutStatus>,
}
