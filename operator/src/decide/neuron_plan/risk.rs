//! `AtRisk` in the plan, from the uid's place in the chain's pruning order
//! (`decide::pruning`), and the Normal Event when immunity ends.

use crate::api::{types, CondSpec, Condition};
use crate::decide::pruning::Risk;

/// Reason of `AtRisk=False` while the uid is immune (its end is announced once).
const IMMUNE: &str = "Immune";

pub fn condition(r: &Risk) -> CondSpec {
    let c =
        |status, reason, message: String| CondSpec::new(types::AT_RISK, status, reason, message);
    match *r {
        Risk::Immune { until_block } => c(
            false,
            IMMUNE,
            format!("immune to pruning until block {until_block}"),
        ),
        Risk::AtRisk {
            position,
            among,
            candidates,
        } => {
            let place = match position {
                0 => "the lowest".to_string(),
                p => format!("number {} from the bottom", p + 1),
            };
            c(
                true,
                "LowestEmission",
                format!(
                    "past immunity and {place} by emission of {candidates} non-immune uids \
                     (among the lowest {among}) on a full subnet: the next registrations \
                     replace the lowest uid first"
                ),
            )
        }
        Risk::Safe {
            subnet_has_room: true,
        } => c(
            false,
            "SubnetHasRoom",
            "past immunity; the subnet has free uids, which registrations take first".into(),
        ),
        Risk::Safe {
            subnet_has_room: false,
        } => c(
            false,
            "AboveLowest",
            "past immunity; emission above the lowest 5 % of non-immune uids".into(),
        ),
    }
}

/// The message of the Normal Event for an immunity that ended since `prev` was written.
pub fn immunity_ended(prev: &[Condition], now: &[CondSpec]) -> Option<String> {
    let was_immune = prev
        .iter()
        .any(|c| c.type_ == types::AT_RISK && c.reason == IMMUNE);
    let ours = now.iter().find(|c| c.type_ == types::AT_RISK)?;
    (was_immune && ours.reason != IMMUNE).then(|| {
        format!(
            "immunity to pruning ended; from now on a registration on a full subnet may \
             replace this uid when its emission is the lowest ({})",
            ours.message
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_and_the_end_of_immunity() {
        let immune = condition(&Risk::Immune { until_block: 50 });
        assert_eq!((immune.status, immune.reason.as_str()), (false, IMMUNE));
        assert!(immune.message.contains("until block 50"));
        let risky = condition(&Risk::AtRisk {
            position: 1,
            among: 3,
            candidates: 60,
        });
        assert!(risky.status, "{risky:?}");
        assert!(
            risky.message.contains("number 2 from the bottom"),
            "{}",
            risky.message
        );
        let safe = condition(&Risk::Safe {
            subnet_has_room: false,
        });
        assert_eq!((safe.status, safe.reason.as_str()), (false, "AboveLowest"));

        let t = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::UNIX_EPOCH);
        let shown =
            |c: &CondSpec| crate::api::merge_conditions(&[], std::slice::from_ref(c), None, &t);
        // Immune before, not now: announced; once shown as not immune, not again.
        assert!(immunity_ended(&shown(&immune), std::slice::from_ref(&safe)).is_some());
        assert!(immunity_ended(&shown(&immune), std::slice::from_ref(&risky)).is_some());
        assert_eq!(
            immunity_ended(&shown(&safe), std::slice::from_ref(&risky)),
            None
        );
        assert_eq!(
            immunity_ended(&shown(&immune), std::slice::from_ref(&immune)),
            None
        );
        assert_eq!(
            immunity_ended(&[], &[safe]),
            None,
            "first sight is no transition"
        );
    }
}
