//! Status conditions: the standard `metav1.Condition` shape, and the types this operator sets.

pub use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// Condition types (the `type` field). Reasons are CamelCase strings chosen where set.
pub mod types {
    pub const READY: &str = "Ready";
    pub const REGISTERED: &str = "Registered";
    pub const POD_READY: &str = "PodReady";
    pub const AXON_SERVED: &str = "AxonServed";
    pub const STAKE_SATISFIED: &str = "StakeSatisfied";
    pub const WEIGHTS_FRESH: &str = "WeightsFresh";
    pub const CHAIN_REACHABLE: &str = "ChainReachable";
    pub const SUBNET_NOT_FOUND: &str = "SubnetNotFound";
    pub const HOTKEY_CONFLICT: &str = "HotkeyConflict";
    pub const INVALID_SPEC: &str = "InvalidSpec";
    pub const REGISTRATION_BLOCKED: &str = "RegistrationBlocked";
    pub const GPU_UNHEALTHY: &str = "GpuUnhealthy";
    pub const PROGRESSING: &str = "Progressing";
    pub const BUDGET_EXHAUSTED: &str = "BudgetExhausted";
    /// A NeuronSet's canary failed: rolled back, and the rollout waits for a spec change.
    pub const ROLLOUT_PAUSED: &str = "RolloutPaused";
    /// The Neuron's uid now belongs to another hotkey of the same coldkey (`swap_hotkey`).
    pub const HOTKEY_SWAPPED: &str = "HotkeySwapped";
    /// The netuid was dissolved and registered anew since the Neuron registered on it.
    pub const SUBNET_REPLACED: &str = "SubnetReplaced";
    /// Past immunity and among the lowest emitters of a full subnet: likely replaced by the
    /// next registration.
    pub const AT_RISK: &str = "AtRisk";
}

/// A condition as computed by `decide`, before it gets its transition time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CondSpec {
    pub type_: &'static str,
    pub status: bool,
    pub reason: String,
    pub message: String,
}

impl CondSpec {
    pub fn new(
        type_: &'static str,
        status: bool,
        reason: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            type_,
            status,
            reason: reason.into(),
            message: message.into(),
        }
    }
}

/// Merges freshly computed conditions into the previous list: a condition whose status did not
/// change keeps its `lastTransitionTime`, so status writes stay stable while nothing changes.
/// Conditions not in `new` are dropped (they no longer apply). Output order follows `new`.
pub fn merge_conditions(
    old: &[Condition],
    new: &[CondSpec],
    generation: Option<i64>,
    now: &Time,
) -> Vec<Condition> {
    new.iter()
        .map(|c| {
            let status = if c.status { "True" } else { "False" };
            let kept = old
                .iter()
                .find(|o| o.type_ == c.type_ && o.status == status)
                .map(|o| o.last_transition_time.clone());
            Condition {
                type_: c.type_.to_string(),
                status: status.to_string(),
                reason: c.reason.clone(),
                message: c.message.clone(),
                observed_generation: generation,
                last_transition_time: kept.unwrap_or_else(|| now.clone()),
            }
        })
        .collect()
}

/// Whether a condition of this type is present and True.
pub fn is_true(conds: &[Condition], type_: &str) -> bool {
    conds.iter().any(|c| c.type_ == type_ && c.status == "True")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Time {
        Time(s.parse().unwrap())
    }

    #[test]
    fn keeps_transition_time_while_status_unchanged() {
        let first = merge_conditions(
            &[],
            &[CondSpec::new(types::READY, false, "Pending", "x")],
            Some(1),
            &t("2026-01-01T00:00:00Z"),
        );
        let cases = [
            // (new status, expected transition time)
            (false, "2026-01-01T00:00:00Z"),
            (true, "2026-01-02T00:00:00Z"),
        ];
        for (status, want) in cases {
            let next = merge_conditions(
                &first,
                &[CondSpec::new(types::READY, status, "R", "m")],
                Some(2),
                &t("2026-01-02T00:00:00Z"),
            );
            assert_eq!(next[0].last_transition_time, t(want), "status {status}");
            assert_eq!(next[0].observed_generation, Some(2));
            assert_eq!(next[0].status, if status { "True" } else { "False" });
        }
    }

    #[test]
    fn drops_conditions_no_longer_computed() {
        let old = merge_conditions(
            &[],
            &[
                CondSpec::new(types::READY, true, "A", ""),
                CondSpec::new(types::HOTKEY_CONFLICT, true, "B", ""),
            ],
            None,
            &t("2026-01-01T00:00:00Z"),
        );
        let next = merge_conditions(
            &old,
            &[CondSpec::new(types::READY, true, "A", "")],
            None,
            &t("2026-01-02T00:00:00Z"),
        );
        assert_eq!(next.len(), 1);
        assert!(is_true(&next, types::READY));
        assert!(!is_true(&next, types::HOTKEY_CONFLICT));
    }
}
