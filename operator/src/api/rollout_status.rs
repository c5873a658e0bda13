//! NeuronSet `status.rollout`: which revision each member runs, where the rollout is, the last
//! canary comparison, and the previous template a failing canary goes back to.

use super::NeuronSpec;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

/// Values of `status.rollout.step`.
pub mod step {
    /// Every member runs the current template.
    pub const COMPLETE: &str = "Complete";
    /// RollingUpdate strategy: members change maxUnavailable at a time.
    pub const ROLLING: &str = "RollingUpdate";
    /// Canary members are being updated or waited for until Ready.
    pub const CANARY: &str = "Canary";
    /// Canary members are Ready and run for `soakTempos` epochs before the comparison.
    pub const SOAKING: &str = "Soaking";
    /// The canary passed: the other members follow in batches of maxUnavailable.
    pub const BATCHES: &str = "Batches";
    /// The canary failed: rolled back, nothing changes until the spec does.
    pub const PAUSED: &str = "Paused";
}

/// Values of `lastComparison.result`.
pub mod verdict {
    pub const PASSED: &str = "Passed";
    pub const REGRESSED: &str = "Regressed";
    /// Nothing to compare with (no comparable member, no figure before the update): the
    /// rollout proceeds and a Warning Event says why.
    pub const INCONCLUSIVE: &str = "Inconclusive";
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStatus {
    /// Revision (template hash) of spec.template: what the rollout moves members to.
    #[serde(default)]
    pub update_revision: String,
    /// Complete | RollingUpdate | Canary | Soaking | Batches | Paused.
    #[serde(default)]
    pub step: String,
    /// The last template every member ran: what a failing canary is rolled back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable: Option<StableRevision>,
    /// Ordinals of this rollout's canary members.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canaries: Vec<i32>,
    /// When the last canary was moved to the update revision (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_updated_at: Option<String>,
    /// Median figure of the canaries before their update: the baseline when no other member
    /// can serve as one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_before: Option<f64>,
    /// Block at which every canary was Ready: the soak counts epochs from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soak_started_block: Option<u64>,
    /// Block of the epoch that ends the soak (expected; the comparison reads a later block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soak_until_block: Option<u64>,
    /// When a soaking canary was last seen not Ready (RFC 3339); cleared once Ready again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_unready_since: Option<String>,
    /// Block since which members due for a restart wait for their restart window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_since_block: Option<u64>,
    /// The figures of the last canary comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_comparison: Option<CanaryComparison>,
    /// Set while a failed canary holds the rollout; cleared by a change of spec.template or
    /// spec.rollout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<PausedRollout>,
    /// Which revision each member runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<RevisionMembers>,
}

/// A previous template, kept whole so a rollback needs nothing but this status.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StableRevision {
    pub revision: String,
    /// The template itself (a Neuron spec; stored without schema: it is the operator's record).
    #[schemars(schema_with = "opaque_object")]
    pub template: NeuronSpec,
}

fn opaque_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true
    })
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionMembers {
    pub revision: String,
    /// Image of that revision.
    #[serde(default)]
    pub image: String,
    pub ordinals: Vec<i32>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CanaryComparison {
    /// Revision the canaries ran.
    pub revision: String,
    /// Incentive, Dividends or ValidatorTrust.
    pub metric: String,
    /// Block of the chain snapshot both figures come from.
    pub block: u64,
    /// Median figure of the canaries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<f64>,
    /// Median figure of the comparable members not yet updated (or the canaries' own figure
    /// before their update, see baselineSource).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// Peers | CanaryBeforeUpdate | None.
    pub baseline_source: String,
    /// Members the baseline is the median of.
    #[serde(default)]
    pub peers: u32,
    /// Relative drop of the canary against the baseline, e.g. "38.5%" (negative: it gained).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop: Option<String>,
    pub max_drop: String,
    /// Passed | Regressed | Inconclusive.
    pub result: String,
    /// The comparison in words (why Inconclusive, which members were left out).
    #[serde(default)]
    pub message: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PausedRollout {
    /// The revision whose canary failed.
    pub revision: String,
    /// Hash of spec.template and spec.rollout when it failed: a change of either resumes.
    pub spec_hash: String,
    /// CanaryRegressed | CanaryCrashLooping | CanaryNotReady | MetricUnavailable.
    pub reason: String,
    pub message: String,
    /// RFC 3339.
    pub at: String,
}
