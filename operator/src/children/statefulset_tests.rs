use super::*;
use crate::api::StorageSpec;
use crate::children::testutil::{neuron, subnet};
use k8s_openapi::api::core::v1::{LocalObjectReference, Toleration};

fn inputs(replicas: i32, cold: bool) -> PodInputs {
    PodInputs {
        replicas,
        wallet_version: "abc".into(),
        has_coldkeypub: cold,
        external: ExternalAxon::default(),
        agent_nodes: false,
    }
}

fn pod(s: &StatefulSet) -> &PodSpec {
    s.spec.as_ref().unwrap().template.spec.as_ref().unwrap()
}

#[test]
fn replicas_selector_owner_and_annotation() {
    let n = neuron("miner-0", "sn21", "miner");
    for replicas in [0, 1] {
        let s = statefulset(&n, &subnet("sn21", &[]), &inputs(replicas, true));
        let spec = s.spec.as_ref().unwrap();
        assert_eq!(spec.replicas, Some(replicas));
        assert_eq!(spec.selector.match_labels, Some(selector_labels(&n)));
        assert_eq!(s.metadata.name.as_deref(), Some("miner-0"));
        assert_eq!(s.metadata.namespace.as_deref(), Some("miners"));
        assert_eq!(
            s.metadata.owner_references.as_ref().unwrap()[0].name,
            "miner-0"
        );
        let meta = spec.template.metadata.as_ref().unwrap();
        assert_eq!(
            meta.annotations.as_ref().unwrap()[WALLET_VERSION_ANNOTATION],
            "abc"
        );
        assert_eq!(meta.labels.as_ref(), Some(&child_labels(&n)));
    }
}

#[test]
fn gpus_become_limit_and_request() {
    let user = ResourceRequirements {
        limits: Some(BTreeMap::from([("memory".into(), Quantity("8Gi".into()))])),
        ..Default::default()
    };
    let explicit_gpu = ResourceRequirements {
        limits: Some(BTreeMap::from([(
            GPU_RESOURCE.into(),
            Quantity("2".into()),
        )])),
        ..Default::default()
    };
    // (user resources, gpus, want gpu limit, want gpu request, want memory limit)
    let cases = [
        (None, 0, None, None, None),
        (None, 2, Some("2"), Some("2"), None),
        (Some(&user), 1, Some("1"), Some("1"), Some("8Gi")),
        (Some(&user), 0, None, None, Some("8Gi")),
        (Some(&explicit_gpu), 0, Some("2"), None, None),
        (Some(&explicit_gpu), 4, Some("4"), Some("4"), None),
    ];
    for (u, gpus, lim, req, mem) in cases {
        let r = resources(u, gpus);
        let get = |m: &Option<BTreeMap<String, Quantity>>, k: &str| {
            m.as_ref().and_then(|m| m.get(k)).map(|q| q.0.clone())
        };
        let lims = r.as_ref().and_then(|r| r.limits.clone());
        let reqs = r.as_ref().and_then(|r| r.requests.clone());
        assert_eq!(get(&lims, GPU_RESOURCE).as_deref(), lim, "gpus {gpus}");
        assert_eq!(get(&reqs, GPU_RESOURCE).as_deref(), req, "gpus {gpus}");
        assert_eq!(get(&lims, "memory").as_deref(), mem, "gpus {gpus}");
    }
}

#[test]
fn wallet_mounted_read_only_in_btcli_layout() {
    let mut n = neuron("miner-0", "sn21", "miner");
    n.spec.wallet.name = Some("fleet".into());
    for cold in [true, false] {
        let s = statefulset(&n, &subnet("sn21", &[]), &inputs(1, cold));
        let p = pod(&s);
        let vol = &p.volumes.as_ref().unwrap()[0];
        let secret = vol.secret.as_ref().unwrap();
        assert_eq!(secret.secret_name.as_deref(), Some("miner-0-wallet"));
        let paths: Vec<_> = secret
            .items
            .as_ref()
            .unwrap()
            .iter()
            .map(|i| i.path.as_str())
            .collect();
        let want: &[&str] = if cold {
            &["hotkeys/default", "coldkeypub.txt"]
        } else {
            &["hotkeys/default"]
        };
        assert_eq!(paths, want);
        assert_eq!(secret.items.as_ref().unwrap()[0].mode, Some(0o400));
        let mount = &p.containers[0].volume_mounts.as_ref().unwrap()[0];
        assert_eq!(mount.mount_path, "/var/lib/bittensor/wallets/fleet");
        assert_eq!(mount.read_only, Some(true));
        assert_eq!(p.automount_service_account_token, Some(false));
    }
}

#[test]
fn scheduling_fields_pass_through() {
    let mut n = neuron("m", "sn", "miner");
    n.spec.node_selector = BTreeMap::from([("gpu".into(), "a100".into())]);
    n.spec.tolerations = vec![Toleration {
        key: Some("nvidia.com/gpu".into()),
        operator: Some("Exists".into()),
        ..Default::default()
    }];
    n.spec.runtime_class_name = Some("nvidia".into());
    n.spec.priority_class_name = Some(String::new());
    n.spec.image_pull_secrets = vec![LocalObjectReference { name: "reg".into() }];
    n.spec.image_pull_policy = Some("Always".into());
    n.spec.args = vec!["--logging.debug".into()];
    let s = statefulset(&n, &subnet("sn", &[]), &inputs(1, false));
    let p = pod(&s);
    assert_eq!(p.node_selector.as_ref().unwrap()["gpu"], "a100");
    assert_eq!(p.tolerations.as_ref().unwrap().len(), 1);
    assert_eq!(p.runtime_class_name.as_deref(), Some("nvidia"));
    assert_eq!(p.priority_class_name, None, "blank means unset");
    assert_eq!(p.image_pull_secrets.as_ref().unwrap()[0].name, "reg");
    let c = &p.containers[0];
    assert_eq!(c.image.as_deref(), Some("img:1"));
    assert_eq!(c.image_pull_policy.as_deref(), Some("Always"));
    assert_eq!(c.args.as_ref().unwrap()[0], "--logging.debug");
    assert_eq!(c.command, None);
    let sc = c.security_context.as_ref().unwrap();
    assert_eq!(sc.allow_privilege_escalation, Some(false));
}

#[test]
fn axon_port_and_host_port_per_expose() {
    use AxonExpose as E;
    let cases = [
        (E::NodePort, None),
        (E::HostPort, Some(9000)),
        (E::None, None),
        (E::LoadBalancer, None),
    ];
    for (expose, host) in cases {
        let mut n = neuron("m", "sn", "miner");
        n.spec.axon.port = 9000;
        n.spec.axon.expose = expose;
        let s = statefulset(&n, &subnet("sn", &[]), &inputs(1, false));
        let port = &pod(&s).containers[0].ports.as_ref().unwrap()[0];
        assert_eq!(port.container_port, 9000);
        assert_eq!(port.name.as_deref(), Some("axon"));
        assert_eq!(port.host_port, host, "{expose:?}");
    }
}

#[test]
fn storage_becomes_volume_claim_template() {
    let mut n = neuron("m", "sn", "miner");
    let none = statefulset(&n, &subnet("sn", &[]), &inputs(1, false));
    assert!(none.spec.unwrap().volume_claim_templates.is_none());
    n.spec.storage = Some(StorageSpec {
        size: Quantity("100Gi".into()),
        storage_class_name: Some("fast".into()),
        mount_path: "/models".into(),
    });
    let s = statefulset(&n, &subnet("sn", &[]), &inputs(1, false));
    let pvc = &s
        .spec
        .as_ref()
        .unwrap()
        .volume_claim_templates
        .as_ref()
        .unwrap()[0];
    let pvc_spec = pvc.spec.as_ref().unwrap();
    assert_eq!(pvc_spec.storage_class_name.as_deref(), Some("fast"));
    assert_eq!(
        pvc_spec
            .resources
            .as_ref()
            .unwrap()
            .requests
            .as_ref()
            .unwrap()["storage"]
            .0,
        "100Gi"
    );
    let mounts = pod(&s).containers[0].volume_mounts.clone().unwrap();
    assert!(mounts
        .iter()
        .any(|m| m.name == "data" && m.mount_path == "/models"));
}

#[test]
fn gpu_pods_require_a_healthy_node_only_when_agents_label_nodes() {
    let healthy = |n: &Neuron, agent_nodes: bool| {
        let s = statefulset(
            n,
            &subnet("sn21", &[]),
            &PodInputs {
                agent_nodes,
                ..inputs(1, true)
            },
        );
        serde_json::to_string(&pod(&s).affinity)
            .unwrap()
            .contains("tensorfleet.io/gpu.healthy")
    };
    let mut gpu = neuron("miner-0", "sn21", "miner");
    gpu.spec.gpus = 1;
    let mut cpu = neuron("miner-0", "sn21", "miner");
    cpu.spec.gpus = 0;
    // (neuron, agent labels on some Node, affinity required)
    for (n, agents, want) in [
        (&gpu, true, true),
        (&gpu, false, false),
        (&cpu, true, false),
    ] {
        assert_eq!(
            healthy(n, agents),
            want,
            "gpus {} agents {agents}",
            n.spec.gpus
        );
    }
}
