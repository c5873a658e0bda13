//! Pod health the kubelet reports: a container in CrashLoopBackOff or failing to pull its image
//! turns PodReady False with that reason (and a Warning Event), instead of a bare "not ready".

use crate::api::{types, CondSpec};
use k8s_openapi::api::core::v1::Pod;

/// Waiting reasons worth surfacing, and what they mean for the user.
const TROUBLE: [(&str, &str); 4] = [
    ("CrashLoopBackOff", "keeps crashing"),
    ("ImagePullBackOff", "cannot pull its image"),
    ("ErrImagePull", "cannot pull its image"),
    ("InvalidImageName", "has an invalid image name"),
];

/// PodReady False with the kubelet's reason when a container is stuck; None when healthy.
pub fn pod_trouble(pod: Option<&Pod>) -> Option<CondSpec> {
    let statuses = pod?.status.as_ref()?.container_statuses.as_ref()?;
    statuses.iter().find_map(|c| {
        let waiting = c.state.as_ref()?.waiting.as_ref()?;
        let reason = waiting.reason.as_deref()?;
        let (_, what) = TROUBLE.iter().find(|(r, _)| *r == reason)?;
        let detail = waiting.message.as_deref().unwrap_or("");
        Some(CondSpec::new(
            types::POD_READY,
            false,
            reason,
            format!(
                "container {} {what} ({} restarts) {detail}",
                c.name, c.restart_count
            )
            .trim_end()
            .to_string(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(state: serde_json::Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "n-0"},
            "status": {"containerStatuses": [{"name": "neuron", "image": "i", "imageID": "",
                "ready": false, "restartCount": 4, "state": state}]}
        }))
        .unwrap()
    }

    #[test]
    fn trouble_table() {
        let cases = [
            (
                json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m"}}),
                Some("CrashLoopBackOff"),
            ),
            (
                json!({"waiting": {"reason": "ImagePullBackOff"}}),
                Some("ImagePullBackOff"),
            ),
            (
                json!({"waiting": {"reason": "ErrImagePull"}}),
                Some("ErrImagePull"),
            ),
            (json!({"waiting": {"reason": "ContainerCreating"}}), None),
            (json!({"running": {}}), None),
        ];
        for (state, want) in cases {
            let p = pod(state.clone());
            let got = pod_trouble(Some(&p));
            assert_eq!(got.as_ref().map(|c| c.reason.as_str()), want, "{state}");
            if let Some(c) = got {
                assert!(
                    !c.status && c.type_ == types::POD_READY && c.message.contains("4 restarts")
                );
            }
        }
        assert!(pod_trouble(None).is_none());
    }
}
