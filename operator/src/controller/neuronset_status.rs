//! A NeuronSet's status from its plan, and when a member counts as Ready.

use crate::api::{
    format_tao, is_true, labels, merge_conditions, types, Neuron, NeuronSet, NeuronSetStatus,
};
use crate::decide::neuronset::SetPlan;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;

/// Ready on its current spec: the Neuron says Ready for its latest generation, and its
/// StatefulSet has rolled that spec out (a Ready that predates the new pod does not count).
pub fn member_ready(n: &Neuron, sts: Option<&StatefulSet>) -> bool {
    let st = n.status.as_ref();
    let current = st.and_then(|s| s.observed_generation) == n.metadata.generation;
    current
        && st.is_some_and(|s| is_true(&s.conditions, types::READY))
        && sts.is_some_and(rolled_out)
}

/// As `kubectl rollout status` judges a StatefulSet: the controller saw the latest generation,
/// every replica is updated and ready, and the current revision is the update revision.
pub fn rolled_out(sts: &StatefulSet) -> bool {
    let want = sts.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let Some(st) = &sts.status else {
        return false;
    };
    let revisions_match = match (&st.current_revision, &st.update_revision) {
        (Some(c), Some(u)) => c == u,
        _ => true,
    };
    st.observed_generation.unwrap_or(0) >= sts.metadata.generation.unwrap_or(0)
        && st.updated_replicas.unwrap_or(0) >= want
        && st.ready_replicas.unwrap_or(0) >= want
        && revisions_match
}

pub fn set_status(
    set: &NeuronSet,
    p: &SetPlan,
    spent: u64,
    now: jiff::Timestamp,
) -> NeuronSetStatus {
    let prev = set.status.clone().unwrap_or_default();
    NeuronSetStatus {
        observed_generation: set.metadata.generation,
        replicas: p.counts.replicas,
        ready_replicas: p.counts.ready,
        registered_replicas: p.counts.registered,
        updated_replicas: p.counts.updated,
        spent_rao: spent,
        spent_tao: Some(format_tao(spent)),
        selector: Some(format!("{}={}", labels::NEURON_SET, set.name_any())),
        conditions: merge_conditions(
            &prev.conditions,
            &p.conditions,
            set.metadata.generation,
            &Time(now),
        ),
        rollout: p.rollout.clone().or(prev.rollout),
    }
}

/// Writes only on change; transition times are kept by `merge_conditions`, so an unchanged
/// set compares equal.
pub fn status_changed(old: Option<&NeuronSetStatus>, new: &NeuronSetStatus) -> bool {
    old != Some(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{StatefulSetSpec, StatefulSetStatus};

    fn sts(gen: i64, replicas: i32, status: Option<StatefulSetStatus>) -> StatefulSet {
        let mut s = StatefulSet {
            spec: Some(StatefulSetSpec {
                replicas: Some(replicas),
                ..Default::default()
            }),
            status,
            ..Default::default()
        };
        s.metadata.generation = Some(gen);
        s
    }

    fn st(observed: i64, updated: i32, ready: i32, cur: &str, upd: &str) -> StatefulSetStatus {
        StatefulSetStatus {
            observed_generation: Some(observed),
            updated_replicas: Some(updated),
            ready_replicas: Some(ready),
            current_revision: Some(cur.into()),
            update_revision: Some(upd.into()),
            ..Default::default()
        }
    }

    #[test]
    fn rollout_status_table() {
        let cases = [
            ("rolled out", sts(2, 1, Some(st(2, 1, 1, "r2", "r2"))), true),
            ("no status yet", sts(2, 1, None), false),
            (
                "controller behind",
                sts(3, 1, Some(st(2, 1, 1, "r2", "r2"))),
                false,
            ),
            ("old pod", sts(2, 1, Some(st(2, 0, 1, "r1", "r2"))), false),
            (
                "new pod unready",
                sts(2, 1, Some(st(2, 1, 0, "r2", "r2"))),
                false,
            ),
            (
                "revisions differ",
                sts(2, 1, Some(st(2, 1, 1, "r1", "r2"))),
                false,
            ),
            (
                "zero replicas",
                sts(2, 0, Some(st(2, 0, 0, "r2", "r2"))),
                true,
            ),
        ];
        for (name, s, want) in cases {
            assert_eq!(rolled_out(&s), want, "{name}");
        }
    }

    #[test]
    fn member_ready_needs_the_current_generation() {
        let set: NeuronSet = serde_yaml::from_str(
            "apiVersion: tensorfleet.io/v1alpha1\nkind: NeuronSet\nmetadata: {name: f, namespace: n}\nspec: {template: {subnet: s, role: miner, image: i}}\n",
        )
        .unwrap();
        let done = sts(1, 1, Some(st(1, 1, 1, "a", "a")));
        let ready = crate::api::Condition {
            type_: types::READY.into(),
            status: "True".into(),
            reason: "Running".into(),
            message: String::new(),
            observed_generation: None,
            last_transition_time: Time(jiff::Timestamp::UNIX_EPOCH),
        };
        // (generation, observedGeneration, Ready, sts, want)
        let cases = [
            (2, 2, true, Some(&done), true),
            (3, 2, true, Some(&done), false),
            (2, 2, false, Some(&done), false),
            (2, 2, true, None, false),
        ];
        for (gen, observed, is_ready, s, want) in cases {
            let mut n = crate::children::member_neuron(&set, 0);
            n.metadata.generation = Some(gen);
            n.status = Some(crate::api::NeuronStatus {
                observed_generation: Some(observed),
                conditions: if is_ready {
                    vec![ready.clone()]
                } else {
                    vec![]
                },
                ..Default::default()
            });
            assert_eq!(
                member_ready(&n, s),
                want,
                "gen {gen}/{observed} ready {is_ready}"
            );
        }
    }
}
