//! NeuronSet `spec.rollout`: how a template change reaches the members.
//!
//! `strategy` and `metric` are plain strings (with an `enum` in the CRD schema): a value only the
//! schema would refuse, stored anyway, must become an `InvalidSpec` condition, not a NeuronSet
//! that no longer deserialises and stalls the whole controller.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The existing behaviour: `maxUnavailable` members at a time, each waited for until Ready.
pub const STRATEGY_ROLLING: &str = "RollingUpdate";
/// Canary members first, judged on chain after a soak, then batches of `maxUnavailable`.
pub const STRATEGY_CANARY: &str = "Canary";

/// The chain figures a canary can be judged on (`metric`).
pub mod metric {
    /// Miners (the default for them).
    pub const INCENTIVE: &str = "Incentive";
    /// Validators (the default for them).
    pub const DIVIDENDS: &str = "Dividends";
    /// Validators.
    pub const VALIDATOR_TRUST: &str = "ValidatorTrust";
}

/// Pattern of `maxDrop`: a percentage.
pub const PERCENT_PATTERN: &str = r"^[0-9]+(\.[0-9]+)?%$";

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutSpec {
    /// RollingUpdate (default): maxUnavailable members at a time, each waited for until Ready.
    /// Canary: `canary` members first, soaked `soakTempos` epochs and compared on chain with the
    /// members not yet updated; a regression rolls them back and pauses the rollout; otherwise
    /// the rest follow in batches of maxUnavailable, restarted right after an epoch boundary
    /// (miners) or their last weight set (validators).
    #[serde(default = "default_strategy")]
    #[schemars(extend("enum" = ["RollingUpdate", "Canary"]))]
    pub strategy: String,
    /// Members updated first (Canary). Default 1.
    #[serde(default = "default_canary")]
    #[schemars(range(min = 1))]
    pub canary: i32,
    /// Epochs (tempos) the canary runs, once Ready, before it is judged. Default 2.
    #[serde(default = "default_soak_tempos")]
    #[schemars(range(min = 1))]
    pub soak_tempos: i32,
    /// Figure the canary is judged on: Incentive (miners, their default), Dividends (validators,
    /// their default) or ValidatorTrust (validators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["Incentive", "Dividends", "ValidatorTrust"]))]
    pub metric: Option<String>,
    /// Largest tolerated drop of the canary's figure relative to the median of the members not
    /// yet updated, read at the same block, e.g. "20%" (the default).
    #[serde(default = "default_max_drop")]
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?%$"))]
    pub max_drop: String,
    /// A canary not Ready this long after its update (or during its soak) fails the step, as
    /// does one whose container crash-loops. Default 600.
    #[serde(default = "default_deadline")]
    #[schemars(range(min = 1))]
    pub progress_deadline_seconds: i64,
    /// A member is restarted only within this many blocks after an epoch boundary (miners) or
    /// after its last weight set (validators). Default: a tenth of the tempo, at least 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub restart_window_blocks: Option<i64>,
    /// Bound on waiting for that window: a member waiting longer is restarted anyway.
    /// Default: one tempo + 1 (every miner sees a boundary in it); 0 restarts at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_restart_delay_blocks: Option<i64>,
}

fn default_strategy() -> String {
    STRATEGY_ROLLING.into()
}

fn default_canary() -> i32 {
    1
}

fn default_soak_tempos() -> i32 {
    2
}

fn default_max_drop() -> String {
    "20%".into()
}

fn default_deadline() -> i64 {
    600
}

impl Default for RolloutSpec {
    fn default() -> Self {
        Self {
            strategy: default_strategy(),
            canary: default_canary(),
            soak_tempos: default_soak_tempos(),
            metric: None,
            max_drop: default_max_drop(),
            progress_deadline_seconds: default_deadline(),
            restart_window_blocks: None,
            max_restart_delay_blocks: None,
        }
    }
}

impl RolloutSpec {
    pub fn is_canary(&self) -> bool {
        self.strategy == STRATEGY_CANARY
    }
}
