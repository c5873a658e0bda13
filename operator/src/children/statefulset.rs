//! StatefulSet `<neuron>`: one pod running the neuron image with its wallet mounted read-only.

use super::env::{container_env, wallet_path, ExternalAxon};
use super::labels::{child_labels, owner_ref, selector_labels, wallet_name, wallet_secret_name};
use super::wallet::{COLDKEYPUB_KEY, HOTKEY_KEY, HOTKEY_NAME, WALLET_VERSION_ANNOTATION};
use crate::api::{AxonExpose, Neuron, Subnet};
use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, KeyToPath, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, PodSecurityContext, PodSpec, PodTemplateSpec, ResourceRequirements,
    SeccompProfile, SecretVolumeSource, SecurityContext, Volume, VolumeMount,
    VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::ResourceExt;
use std::collections::BTreeMap;

pub const CONTAINER_NAME: &str = "neuron";
pub const AXON_PORT_NAME: &str = "axon";
pub const GPU_RESOURCE: &str = "nvidia.com/gpu";
const WALLET_VOLUME: &str = "wallet";
const DATA_VOLUME: &str = "data";
/// Owner read-only: the hotkey file holds private key material.
const HOTKEY_MODE: i32 = 0o400;
const PUBLIC_MODE: i32 = 0o444;

/// Everything the StatefulSet depends on besides the Neuron and its Subnet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodInputs {
    /// 1 when registered and not suspended, else 0 (see `decide::desired_replicas`).
    pub replicas: i32,
    /// `WalletFiles::version()` of the mounted wallet, so a key change rolls the pod.
    pub wallet_version: String,
    /// Whether the wallet Secret has `coldkeypub.txt` (items may only name keys that exist).
    pub has_coldkeypub: bool,
    pub external: ExternalAxon,
    /// Whether any Node carries GPU agent labels: then GPU pods require a healthy node.
    /// Offline render passes false.
    pub agent_nodes: bool,
}

/// The neuron's StatefulSet.
pub fn statefulset(neuron: &Neuron, subnet: &Subnet, input: &PodInputs) -> StatefulSet {
    let labels = child_labels(neuron);
    let spec = &neuron.spec;
    let template = PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels.clone()),
            annotations: Some(BTreeMap::from([(
                WALLET_VERSION_ANNOTATION.to_string(),
                input.wallet_version.clone(),
            )])),
            ..Default::default()
        }),
        spec: Some(PodSpec {
            containers: vec![container(neuron, subnet, &input.external)],
            volumes: Some(vec![wallet_volume(neuron, input.has_coldkeypub)]),
            node_selector: non_empty_map(&spec.node_selector),
            tolerations: non_empty(&spec.tolerations),
            affinity: super::gpu::pod_affinity(
                spec.affinity.as_ref(),
                spec.gpus,
                input.agent_nodes,
            ),
            runtime_class_name: non_blank(&spec.runtime_class_name),
            priority_class_name: non_blank(&spec.priority_class_name),
            image_pull_secrets: non_empty(&spec.image_pull_secrets),
            // The neuron talks to the chain, not to Kubernetes.
            automount_service_account_token: Some(false),
            enable_service_links: Some(false),
            security_context: Some(PodSecurityContext {
                seccomp_profile: Some(SeccompProfile {
                    type_: "RuntimeDefault".into(),
                    localhost_profile: None,
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
    };
    StatefulSet {
        metadata: ObjectMeta {
            name: Some(neuron.name_any()),
            namespace: neuron.namespace(),
            labels: Some(labels),
            owner_references: Some(vec![owner_ref(neuron)]),
            ..Default::default()
        },
        spec: Some(StatefulSetSpec {
            replicas: Some(input.replicas),
            selector: LabelSelector {
                match_labels: Some(selector_labels(neuron)),
                match_expressions: None,
            },
            template,
            volume_claim_templates: spec.storage.as_ref().map(|s| {
                vec![PersistentVolumeClaim {
                    metadata: ObjectMeta {
                        name: Some(DATA_VOLUME.into()),
                        ..Default::default()
                    },
                    spec: Some(PersistentVolumeClaimSpec {
                        access_modes: Some(vec!["ReadWriteOnce".into()]),
                        storage_class_name: non_blank(&s.storage_class_name),
                        resources: Some(VolumeResourceRequirements {
                            requests: Some(BTreeMap::from([("storage".into(), s.size.clone())])),
                            limits: None,
                        }),
                        ..Default::default()
                    }),
                    status: None,
                }]
            }),
            ..Default::default()
        }),
        status: None,
    }
}

fn container(neuron: &Neuron, subnet: &Subnet, external: &ExternalAxon) -> Container {
    let spec = &neuron.spec;
    let mut mounts = vec![VolumeMount {
        name: WALLET_VOLUME.into(),
        mount_path: format!("{}/{}", wallet_path(neuron), wallet_name(neuron)),
        read_only: Some(true),
        ..Default::default()
    }];
    if let Some(s) = &spec.storage {
        mounts.push(VolumeMount {
            name: DATA_VOLUME.into(),
            mount_path: s.mount_path.clone(),
            ..Default::default()
        });
    }
    Container {
        name: CONTAINER_NAME.into(),
        image: Some(spec.image.clone()),
        image_pull_policy: non_blank(&spec.image_pull_policy),
        command: non_empty(&spec.command),
        args: non_empty(&spec.args),
        env: Some(container_env(neuron, subnet, external)),
        env_from: non_empty(&spec.env_from),
        resources: resources(spec.resources.as_ref(), spec.gpus),
        ports: Some(vec![ContainerPort {
            name: Some(AXON_PORT_NAME.into()),
            container_port: spec.axon.port.into(),
            host_port: (spec.axon.expose == AxonExpose::HostPort).then_some(spec.axon.port.into()),
            protocol: Some("TCP".into()),
            host_ip: None,
        }]),
        volume_mounts: Some(mounts),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                add: None,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The user's resources with `gpus` set as the `nvidia.com/gpu` limit and request (extended
/// resources must have request == limit). `gpus: 0` leaves any explicit GPU resource alone.
pub fn resources(user: Option<&ResourceRequirements>, gpus: u32) -> Option<ResourceRequirements> {
    let mut r = user.cloned().unwrap_or_default();
    if gpus > 0 {
        let q = Quantity(gpus.to_string());
        for list in [&mut r.limits, &mut r.requests] {
            list.get_or_insert_with(BTreeMap::new)
                .insert(GPU_RESOURCE.into(), q.clone());
        }
    }
    (r != ResourceRequirements::default()).then_some(r)
}

/// btcli layout under the mount: `hotkeys/default` and `coldkeypub.txt`.
fn wallet_volume(neuron: &Neuron, has_coldkeypub: bool) -> Volume {
    let mut items = vec![KeyToPath {
        key: HOTKEY_KEY.into(),
        path: format!("hotkeys/{HOTKEY_NAME}"),
        mode: Some(HOTKEY_MODE),
    }];
    if has_coldkeypub {
        items.push(KeyToPath {
            key: COLDKEYPUB_KEY.into(),
            path: COLDKEYPUB_KEY.into(),
            mode: Some(PUBLIC_MODE),
        });
    }
    Volume {
        name: WALLET_VOLUME.into(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(wallet_secret_name(neuron)),
            items: Some(items),
            default_mode: Some(HOTKEY_MODE),
            optional: Some(false),
        }),
        ..Default::default()
    }
}

fn non_empty<T: Clone>(v: &[T]) -> Option<Vec<T>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn non_empty_map(m: &BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    (!m.is_empty()).then(|| m.clone())
}

fn non_blank(s: &Option<String>) -> Option<String> {
    s.clone().filter(|s| !s.is_empty())
}

#[cfg(test)]
#[path = "statefulset_tests.rs"]
mod tests;
