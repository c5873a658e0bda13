//! `render` over the shipped samples: valid ones produce the expected children, every invalid
//! one is rejected with an error naming its file and field.

use std::path::PathBuf;
use tensorfleet::render::render;

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../config/samples")
}

fn docs(yaml: &str) -> Vec<serde_yaml::Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect()
}

fn find<'a>(docs: &'a [serde_yaml::Value], kind: &str, name: &str) -> &'a serde_yaml::Value {
    docs.iter()
        .find(|d| d["kind"].as_str() == Some(kind) && d["metadata"]["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("{kind} {name} not rendered"))
}

#[test]
fn valid_samples_render_every_child() {
    let out = render(&[samples()]).expect("valid samples render");
    let d = docs(&out);
    // miner-0, validator-0, miner-proxied, fleet-0..3: a wallet Secret and a StatefulSet each.
    let neurons = [
        "miner-0",
        "validator-0",
        "miner-proxied",
        "fleet-0",
        "fleet-1",
        "fleet-2",
        "fleet-3",
    ];
    for n in neurons {
        find(&d, "StatefulSet", n);
        find(&d, "Secret", &format!("{n}-wallet"));
    }
    // Services only for NodePort / LoadBalancer.
    assert_eq!(
        find(&d, "Service", "miner-0-axon")["spec"]["type"].as_str(),
        Some("NodePort")
    );
    assert_eq!(
        find(&d, "Service", "validator-0-axon")["spec"]["type"].as_str(),
        Some("LoadBalancer")
    );
    let services: Vec<_> = d
        .iter()
        .filter(|x| x["kind"].as_str() == Some("Service"))
        .collect();
    assert_eq!(services.len(), 2, "HostPort/None get no Service");
    // NeuronSet members are rendered as Neurons owned by the set.
    let member = find(&d, "Neuron", "fleet-2");
    assert_eq!(
        member["metadata"]["labels"]["tensorfleet.io/neuronset"].as_str(),
        Some("fleet")
    );
    // The miner's pod: registered → 1 replica, GPU limit, wallet mount, env from the Subnet.
    let sts = find(&d, "StatefulSet", "miner-0");
    assert_eq!(sts["spec"]["replicas"].as_i64(), Some(1));
    let c = &sts["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        c["resources"]["limits"]["nvidia.com/gpu"].as_str(),
        Some("1")
    );
    assert_eq!(
        c["resources"]["requests"]["nvidia.com/gpu"].as_str(),
        Some("1")
    );
    assert_eq!(
        c["volumeMounts"][0]["mountPath"].as_str(),
        Some("/var/lib/bittensor/wallets/fleet")
    );
    let env = c["env"].as_sequence().unwrap();
    let var = |n: &str| {
        env.iter()
            .find(|e| e["name"].as_str() == Some(n))
            .map(|e| e["value"].clone())
    };
    assert_eq!(var("BT_NETUID").unwrap().as_str(), Some("21"));
    assert_eq!(
        var("BT_SUBTENSOR_NETWORK").unwrap().as_str(),
        Some("finney")
    );
    assert_eq!(var("TF_ROLE").unwrap().as_str(), Some("miner"));
    assert_eq!(
        sts["spec"]["template"]["spec"]["runtimeClassName"].as_str(),
        Some("nvidia")
    );
    // The fleet members use a hostPort.
    let fleet = find(&d, "StatefulSet", "fleet-0");
    let port = &fleet["spec"]["template"]["spec"]["containers"][0]["ports"][0];
    assert_eq!(port["hostPort"].as_i64(), Some(8091));
    // No coldkey anywhere in what a pod can see.
    for doc in &d {
        if doc["kind"].as_str() == Some("StatefulSet") {
            let text = serde_yaml::to_string(&doc["spec"]["template"]).unwrap();
            assert!(
                !text.contains("cold-"),
                "a pod references a coldkey Secret: {text}"
            );
        }
    }
}

#[test]
fn every_invalid_sample_is_rejected_naming_file_and_field() {
    let cases = [
        ("stake-on-miner.yaml", "spec.stake"),
        ("bad-tao-string.yaml", "spec.registration.maxBurnTao"),
        ("negative-gpus.yaml", "spec.gpus"),
        ("missing-image.yaml", "image"),
        ("bad-role.yaml", "spec.role"),
        ("bad-expose.yaml", "spec.axon.expose"),
        ("bad-port.yaml", "spec.axon.port"),
        ("poll-interval-1.yaml", "spec.pollIntervalSeconds"),
        ("bad-network.yaml", "spec.network"),
        ("bad-endpoint.yaml", "spec.endpoints[0]"),
        ("negative-replicas.yaml", "spec.replicas"),
        ("bad-rollout.yaml", "spec.rollout.maxDrop"),
    ];
    let dir = samples().join("invalid");
    let on_disk = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(on_disk, cases.len(), "every invalid sample has a case");
    for (file, field) in cases {
        let err = render(&[dir.join(file)]).expect_err(file).to_string();
        assert!(
            err.contains(file),
            "{file}: error does not name the file: {err}"
        );
        assert!(
            err.contains(field),
            "{file}: error does not name {field}: {err}"
        );
    }
}

#[test]
fn missing_subnet_and_unreadable_paths_are_errors() {
    let tmp = std::env::temp_dir().join(format!("tf-render-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let f = tmp.join("n.yaml");
    std::fs::write(
        &f,
        "apiVersion: tensorfleet.io/v1alpha1\nkind: Neuron\nmetadata: {name: n, namespace: a}\nspec: {subnet: nope, role: miner, image: i}\n",
    )
    .unwrap();
    let err = render(std::slice::from_ref(&f)).unwrap_err().to_string();
    assert!(err.contains("spec.subnet") && err.contains("nope"), "{err}");
    let err = render(&[tmp.join("absent.yaml")]).unwrap_err().to_string();
    assert!(err.contains("absent.yaml"), "{err}");
    std::fs::remove_dir_all(&tmp).unwrap();
}
