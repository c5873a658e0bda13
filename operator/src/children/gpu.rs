//! GPU-aware scheduling: a Neuron that asks for GPUs goes only to nodes the tensorfleet agent
//! reports healthy, once the agent runs anywhere in the cluster. Pure.

use crate::api::labels;
use k8s_openapi::api::core::v1::{
    Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
};

/// `tensorfleet.io/gpu.healthy In (true)`.
pub fn healthy_requirement() -> NodeSelectorRequirement {
    NodeSelectorRequirement {
        key: labels::GPU_HEALTHY.into(),
        operator: "In".into(),
        values: Some(vec!["true".into()]),
    }
}

/// The pod's affinity: the user's, with the healthy-GPU requirement ANDed into every required
/// node selector term (terms are ORed, so each one must carry it). Unchanged when the Neuron has
/// no GPUs, or when no node carries agent labels (the agent is not deployed: requiring its label
/// would leave the pod Pending forever). Preferred terms and pod (anti-)affinity are kept as is.
pub fn pod_affinity(
    user: Option<&Affinity>,
    gpus: u32,
    agent_on_any_node: bool,
) -> Option<Affinity> {
    if gpus == 0 || !agent_on_any_node {
        return user.cloned();
    }
    let want = healthy_requirement();
    let mut affinity = user.cloned().unwrap_or_default();
    let node = affinity
        .node_affinity
        .get_or_insert_with(NodeAffinity::default);
    let required = node
        .required_during_scheduling_ignored_during_execution
        .get_or_insert_with(NodeSelector::default);
    if required.node_selector_terms.is_empty() {
        required
            .node_selector_terms
            .push(NodeSelectorTerm::default());
    }
    for term in &mut required.node_selector_terms {
        let exprs = term.match_expressions.get_or_insert_with(Vec::new);
        if !exprs.contains(&want) {
            exprs.push(want.clone());
        }
    }
    Some(affinity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodAffinity, PreferredSchedulingTerm};
    use serde_json::{json, Value};

    fn aff(v: Value) -> Affinity {
        serde_json::from_value(v).unwrap()
    }

    const HEALTHY: &str =
        r#"{"key":"tensorfleet.io/gpu.healthy","operator":"In","values":["true"]}"#;

    fn healthy() -> Value {
        serde_json::from_str(HEALTHY).unwrap()
    }

    fn zone(z: &str) -> Value {
        json!({"key": "topology.kubernetes.io/zone", "operator": "In", "values": [z]})
    }

    #[test]
    fn table() {
        let required_only = |terms: Value| json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}});
        let preferred = json!({"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution":
            [{"weight": 10, "preference": {"matchExpressions": [zone("a")]}}]}});
        // name, user affinity, gpus, agent on any node, want
        type Case = (&'static str, Option<Value>, u32, bool, Option<Value>);
        let cases: Vec<Case> = vec![
            (
                "no GPUs: user affinity untouched",
                Some(preferred.clone()),
                0,
                true,
                Some(preferred.clone()),
            ),
            ("no GPUs, no affinity", None, 0, true, None),
            ("no agent anywhere: plain scheduling", None, 1, false, None),
            (
                "no agent, user affinity kept",
                Some(preferred.clone()),
                2,
                false,
                Some(preferred.clone()),
            ),
            (
                "GPUs, agent, no user affinity",
                None,
                1,
                true,
                Some(required_only(json!([{"matchExpressions": [healthy()]}]))),
            ),
            (
                "AND into every user term",
                Some(required_only(json!([
                    {"matchExpressions": [zone("a")]},
                    {"matchExpressions": [zone("b")]},
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]))),
                4,
                true,
                Some(required_only(json!([
                    {"matchExpressions": [zone("a"), healthy()]},
                    {"matchExpressions": [zone("b"), healthy()]},
                    {"matchExpressions": [healthy()],
                     "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]))),
            ),
            (
                "already present: not duplicated",
                Some(required_only(json!([{"matchExpressions": [healthy()]}]))),
                1,
                true,
                Some(required_only(json!([{"matchExpressions": [healthy()]}]))),
            ),
            (
                "preferred kept, required added",
                Some(preferred),
                1,
                true,
                Some(json!({"nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution":
                        [{"weight": 10, "preference": {"matchExpressions": [zone("a")]}}],
                    "requiredDuringSchedulingIgnoredDuringExecution":
                        {"nodeSelectorTerms": [{"matchExpressions": [healthy()]}]}}})),
            ),
        ];
        for (name, user, gpus, agent, want) in cases {
            let user = user.map(aff);
            let got = pod_affinity(user.as_ref(), gpus, agent);
            assert_eq!(got, want.map(aff), "{name}");
        }
    }

    #[test]
    fn pod_affinity_and_preferences_survive() {
        let user = Affinity {
            pod_anti_affinity: None,
            pod_affinity: Some(PodAffinity::default()),
            node_affinity: Some(NodeAffinity {
                preferred_during_scheduling_ignored_during_execution: Some(vec![
                    PreferredSchedulingTerm::default(),
                ]),
                ..NodeAffinity::default()
            }),
        };
        let got = pod_affinity(Some(&user), 1, true).unwrap();
        assert_eq!(got.pod_affinity, user.pod_affinity);
        let node = got.node_affinity.unwrap();
        assert_eq!(
            node.preferred_during_scheduling_ignored_during_execution
                .map(|p| p.len()),
            Some(1)
        );
        let terms = node
            .required_during_scheduling_ignored_during_execution
            .unwrap()
            .node_selector_terms;
        assert_eq!(terms.len(), 1);
        assert_eq!(
            terms[0].match_expressions.as_deref(),
            Some(&[healthy_requirement()][..])
        );
    }
}
