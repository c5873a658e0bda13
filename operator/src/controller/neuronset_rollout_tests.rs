use super::*;
use k8s_openapi::api::apps::v1::StatefulSetStatus;
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateWaiting, ContainerStatus, PodStatus,
};

fn sts(generation: i64, observed: i64, update: &str) -> StatefulSet {
    let mut s = StatefulSet {
        status: Some(StatefulSetStatus {
            observed_generation: Some(observed),
            update_revision: Some(update.into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    s.metadata.generation = Some(generation);
    s
}

fn pod(revision: &str, restarts: i32, waiting: Option<&str>) -> Pod {
    let mut p = Pod {
        status: Some(PodStatus {
            container_statuses: Some(vec![ContainerStatus {
                name: "neuron".into(),
                restart_count: restarts,
                state: Some(ContainerState {
                    waiting: waiting.map(|r| ContainerStateWaiting {
                        reason: Some(r.into()),
                        message: None,
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    p.metadata.labels =
        Some([("controller-revision-hash".to_string(), revision.to_string())].into());
    p
}

#[test]
fn crash_looping_table() {
    let s = sts(2, 2, "rev2");
    let cases = [
        (
            "backing off on the new revision",
            pod("rev2", 1, Some("CrashLoopBackOff")),
            Some(&s),
            true,
        ),
        ("restarted 3 times", pod("rev2", 3, None), Some(&s), true),
        ("restarted twice", pod("rev2", 2, None), Some(&s), false),
        (
            "pulling its image",
            pod("rev2", 0, Some("ContainerCreating")),
            Some(&s),
            false,
        ),
        (
            "the old pod crash-loops",
            pod("rev1", 9, Some("CrashLoopBackOff")),
            Some(&s),
            false,
        ),
        ("no StatefulSet", pod("rev2", 9, None), None, false),
    ];
    for (name, p, st, want) in cases {
        assert_eq!(crash_looping(&p, st), want, "{name}");
    }
    let behind = sts(3, 2, "rev2");
    assert!(
        !crash_looping(&pod("rev2", 9, None), Some(&behind)),
        "the StatefulSet controller has not seen the new template yet"
    );
}

fn neuron(name: &str, rev: &str, image: &str) -> Neuron {
    let spec = serde_yaml::from_str(&format!(
        "{{subnet: sn, role: miner, image: '{image}', wallet: {{hotkeySecret: {name}-hotkey}}}}"
    ))
    .unwrap();
    let mut n = Neuron::new(name, spec);
    n.metadata.annotations = Some([(labels::TEMPLATE_HASH.to_string(), rev.to_string())].into());
    n
}

#[test]
fn the_previous_template_is_rebuilt_from_the_members_that_run_it() {
    let a = neuron("f-0", "new", "img:2");
    let b = neuron("f-1", "old", "img:1");
    let c = neuron("f-2", "old", "img:1");
    let d = neuron("f-3", "odd", "img:0");
    let s = stable_from_members(&[&a, &b, &c, &d], "new").unwrap();
    assert_eq!(
        s.revision, "old",
        "the revision most members not updated run"
    );
    assert_eq!(s.template.image, "img:1");
    assert_eq!(
        s.template.wallet.hotkey_secret, None,
        "not the member's own Secret"
    );
    assert_eq!(
        stable_from_members(&[&a], "new"),
        None,
        "every member is updated"
    );
}
