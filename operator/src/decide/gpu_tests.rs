use super::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const ANN: &str = r#"{"driver":"550.54.15","cuda":"12.4","healthy":false,"gpus":[
    {"index":0,"uuid":"GPU-a","model":"NVIDIA H100 80GB HBM3","memoryMiB":81559,"healthy":true,"problems":[]},
    {"index":1,"uuid":"GPU-b","model":"NVIDIA H100 80GB HBM3","memoryMiB":81559,"healthy":false,"problems":["xid-79","lost"]}]}"#;

#[test]
fn gpu_health_from_labels() {
    let cases = [
        (
            "no agent",
            labels(&[("kubernetes.io/hostname", "n1")]),
            None,
        ),
        (
            "healthy node",
            labels(&[
                ("tensorfleet.io/gpu.model", "NVIDIA-H100-80GB-HBM3"),
                ("tensorfleet.io/gpu.count", "8"),
                ("tensorfleet.io/gpu.healthy", "true"),
            ]),
            Some(GpuHealth {
                model: Some("NVIDIA-H100-80GB-HBM3".into()),
                count: Some(8),
                healthy: Some(true),
            }),
        ),
        (
            "agent, no GPU",
            labels(&[("tensorfleet.io/gpu.count", "0")]),
            Some(GpuHealth {
                model: None,
                count: Some(0),
                healthy: None,
            }),
        ),
        (
            "garbage values are unknown, not unhealthy",
            labels(&[
                ("tensorfleet.io/gpu.count", "many"),
                ("tensorfleet.io/gpu.healthy", "maybe"),
            ]),
            Some(GpuHealth::default()),
        ),
    ];
    for (name, l, want) in cases {
        assert_eq!(gpu_health(&l), want, "{name}");
        assert_eq!(has_agent_labels(&l), want.is_some(), "{name}");
    }
}

#[test]
fn verdict_table() {
    let healthy = labels(&[
        ("tensorfleet.io/gpu.model", "NVIDIA-H100-80GB-HBM3"),
        ("tensorfleet.io/gpu.count", "2"),
        ("tensorfleet.io/gpu.healthy", "true"),
    ]);
    let mut sick = healthy.clone();
    sick.insert("tensorfleet.io/gpu.healthy".into(), "false".into());
    let plain = labels(&[]);
    let base = GpuInput {
        gpus: 1,
        node_name: Some("gpu-3"),
        node_labels: Some(&healthy),
        ..GpuInput::default()
    };
    // name, input, condition (status, reason), restart, pod_gpu
    type Want = (
        Option<(bool, &'static str)>,
        Option<RestartReason>,
        (Option<&'static str>, Option<u32>),
    );
    let h100 = (Some("NVIDIA-H100-80GB-HBM3"), Some(2));
    let cases: Vec<(&str, GpuInput, Want)> = vec![
        (
            "healthy",
            base.clone(),
            (Some((false, "GpusHealthy")), None, h100),
        ),
        (
            "no GPUs asked",
            GpuInput {
                gpus: 0,
                node_labels: Some(&sick),
                ..base.clone()
            },
            (None, None, (None, None)),
        ),
        (
            "pod not scheduled",
            GpuInput {
                node_name: None,
                node_labels: None,
                ..base.clone()
            },
            (None, None, (None, None)),
        ),
        (
            "node without agent",
            GpuInput {
                node_labels: Some(&plain),
                ..base.clone()
            },
            (None, None, (None, None)),
        ),
        (
            "unhealthy: condition and restart",
            GpuInput {
                node_labels: Some(&sick),
                node_annotation: Some(ANN),
                ..base.clone()
            },
            (
                Some((true, "NodeGpuUnhealthy")),
                Some(RestartReason::GpuUnhealthy),
                h100,
            ),
        ),
        (
            "unhealthy, pod already terminating: no second restart",
            GpuInput {
                node_labels: Some(&sick),
                pod_terminating: true,
                ..base.clone()
            },
            (Some((true, "NodeGpuUnhealthy")), None, h100),
        ),
    ];
    for (name, input, (cond, restart, (model, count))) in cases {
        let v = verdict(&input);
        let got = v.condition().map(|c| {
            assert_eq!(c.type_, "GpuUnhealthy", "{name}");
            (c.status, c.reason.clone())
        });
        assert_eq!(got, cond.map(|(s, r)| (s, r.to_string())), "{name}");
        assert_eq!(v.restart(), restart, "{name}");
        assert_eq!(v.pod_gpu(), (model.map(String::from), count), "{name}");
    }
}

#[test]
fn unhealthy_message_names_the_gpus() {
    let sick = labels(&[
        ("tensorfleet.io/gpu.count", "1"),
        ("tensorfleet.io/gpu.healthy", "false"),
    ]);
    let input = GpuInput {
        gpus: 1,
        node_name: Some("gpu-3"),
        node_labels: Some(&sick),
        node_annotation: Some(ANN),
        pod_terminating: false,
    };
    let msg = verdict(&input).condition().unwrap().message;
    assert_eq!(
        msg,
        "node gpu-3 reports unhealthy GPUs: GPU 1 (GPU-b): xid-79, lost"
    );
    let no_ann = GpuInput {
        node_annotation: Some("{not json"),
        ..input
    };
    assert_eq!(
        verdict(&no_ann).condition().unwrap().message,
        "node gpu-3 reports unhealthy GPUs"
    );
}
