//! The environment a neuron container sees (`BT_*`, `TF_*`), per API.md "What the pod sees".

use super::labels::wallet_name;
use super::wallet::HOTKEY_NAME;
use crate::api::{AxonExpose, Neuron, Subnet};
use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, ObjectFieldSelector};
use kube::ResourceExt;

/// Where wallets live in the pod unless the user's env sets `BT_WALLET_PATH` to a literal value.
pub const DEFAULT_WALLET_PATH: &str = "/var/lib/bittensor/wallets";

/// How the axon is reached from outside, as far as it is known when building.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExternalAxon {
    /// The address (LoadBalancer ingress); `spec.axon.externalIp` wins over it.
    pub ip: Option<String>,
    /// The port seen from outside (NodePort's allocated nodePort); HostPort/LoadBalancer use the axon port.
    pub port: Option<u16>,
}

/// The wallet root: the user's literal `BT_WALLET_PATH` if they set one, else the default, so
/// the mount and the variable always agree.
pub fn wallet_path(neuron: &Neuron) -> String {
    neuron
        .spec
        .env
        .iter()
        .find(|e| e.name == "BT_WALLET_PATH" && e.value_from.is_none())
        .and_then(|e| e.value.clone())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_WALLET_PATH.to_string())
}

fn var(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(value.into()),
        value_from: None,
    }
}

/// The external port a neuron should advertise, when known.
pub fn external_port(neuron: &Neuron, external: &ExternalAxon) -> Option<u16> {
    match neuron.spec.axon.expose {
        AxonExpose::None => None,
        AxonExpose::HostPort | AxonExpose::LoadBalancer => Some(neuron.spec.axon.port),
        AxonExpose::NodePort => external.port,
    }
}

/// Our variables first, then the user's `env`. A user variable of the same name replaces ours
/// (instead of following it) because a list with duplicate names cannot be server-side applied.
pub fn container_env(neuron: &Neuron, subnet: &Subnet, external: &ExternalAxon) -> Vec<EnvVar> {
    let axon = &neuron.spec.axon;
    let mut ours = vec![
        var("BT_SUBTENSOR_NETWORK", subnet.spec.network.as_str()),
        var(
            "BT_SUBTENSOR_CHAIN_ENDPOINT",
            subnet
                .spec
                .endpoint_list()
                .into_iter()
                .next()
                .unwrap_or_default(),
        ),
        var("BT_NETUID", subnet.spec.netuid.to_string()),
        var("BT_WALLET_NAME", wallet_name(neuron)),
        var("BT_WALLET_HOTKEY", HOTKEY_NAME),
        var("BT_WALLET_PATH", wallet_path(neuron)),
        var("BT_AXON_PORT", axon.port.to_string()),
    ];
    let explicit_ip = axon.external_ip.clone().filter(|ip| !ip.is_empty());
    match (explicit_ip.or_else(|| external.ip.clone()), axon.expose) {
        (Some(ip), _) => ours.push(var("BT_AXON_EXTERNAL_IP", ip)),
        // Reached through the node: its address is the best guess the pod cannot make itself.
        (None, AxonExpose::HostPort | AxonExpose::NodePort) => ours.push(EnvVar {
            name: "BT_AXON_EXTERNAL_IP".into(),
            value: None,
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: "status.hostIP".into(),
                    api_version: None,
                }),
                ..Default::default()
            }),
        }),
        (None, _) => {}
    }
    if let Some(port) = external_port(neuron, external) {
        ours.push(var("BT_AXON_EXTERNAL_PORT", port.to_string()));
    }
    ours.push(var("TF_NEURON", neuron.name_any()));
    ours.push(var("TF_ROLE", neuron.spec.role.as_str()));
    ours.retain(|o| !neuron.spec.env.iter().any(|u| u.name == o.name));
    ours.extend(neuron.spec.env.iter().cloned());
    ours
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::testutil::{neuron, subnet};

    fn get<'a>(env: &'a [EnvVar], name: &str) -> Option<&'a EnvVar> {
        env.iter().find(|e| e.name == name)
    }
    fn val(env: &[EnvVar], name: &str) -> Option<String> {
        get(env, name).and_then(|e| e.value.clone())
    }

    #[test]
    fn defaults_match_api() {
        let n = neuron("miner-0", "sn21", "miner");
        let env = container_env(&n, &subnet("sn21", &[]), &ExternalAxon::default());
        let want = [
            ("BT_SUBTENSOR_NETWORK", Some("test")),
            (
                "BT_SUBTENSOR_CHAIN_ENDPOINT",
                Some("wss://test.finney.opentensor.ai:443"),
            ),
            ("BT_NETUID", Some("21")),
            ("BT_WALLET_NAME", Some("miner-0")),
            ("BT_WALLET_HOTKEY", Some("default")),
            ("BT_WALLET_PATH", Some(DEFAULT_WALLET_PATH)),
            ("BT_AXON_PORT", Some("8091")),
            ("BT_AXON_EXTERNAL_PORT", None), // NodePort not allocated yet
            ("TF_NEURON", Some("miner-0")),
            ("TF_ROLE", Some("miner")),
        ];
        for (name, v) in want {
            assert_eq!(val(&env, name).as_deref(), v, "{name}");
        }
        let ip = get(&env, "BT_AXON_EXTERNAL_IP").unwrap();
        let field = ip.value_from.as_ref().unwrap().field_ref.as_ref().unwrap();
        assert_eq!(field.field_path, "status.hostIP");
    }

    #[test]
    fn external_address_per_expose() {
        use AxonExpose as E;
        let lb = ExternalAxon {
            ip: Some("198.51.100.1".into()),
            port: None,
        };
        let np = ExternalAxon {
            ip: None,
            port: Some(30891),
        };
        // (expose, explicit ip, external, want ip value, want ip from field, want port)
        let cases = [
            (E::NodePort, None, &np, None, true, Some("30891")),
            (E::HostPort, None, &np, None, true, Some("8091")),
            (
                E::LoadBalancer,
                None,
                &lb,
                Some("198.51.100.1"),
                false,
                Some("8091"),
            ),
            (E::LoadBalancer, None, &np, None, false, Some("8091")),
            (E::None, None, &np, None, false, None),
            (
                E::None,
                Some("203.0.113.7"),
                &np,
                Some("203.0.113.7"),
                false,
                None,
            ),
            (
                E::NodePort,
                Some("203.0.113.7"),
                &np,
                Some("203.0.113.7"),
                false,
                Some("30891"),
            ),
        ];
        for (expose, explicit, ext, ip, from_field, port) in cases {
            let mut n = neuron("m", "sn", "miner");
            n.spec.axon.expose = expose;
            n.spec.axon.external_ip = explicit.map(str::to_string);
            let env = container_env(&n, &subnet("sn", &["ws://a:9944", "ws://b:9944"]), ext);
            assert_eq!(
                val(&env, "BT_AXON_EXTERNAL_IP").as_deref(),
                ip,
                "{expose:?}"
            );
            let has_field =
                get(&env, "BT_AXON_EXTERNAL_IP").is_some_and(|e| e.value_from.is_some());
            assert_eq!(has_field, from_field, "{expose:?}");
            assert_eq!(
                val(&env, "BT_AXON_EXTERNAL_PORT").as_deref(),
                port,
                "{expose:?}"
            );
            assert_eq!(
                val(&env, "BT_SUBTENSOR_CHAIN_ENDPOINT").as_deref(),
                Some("ws://a:9944")
            );
        }
    }

    #[test]
    fn user_env_comes_last_and_replaces_ours() {
        let mut n = neuron("m", "sn", "miner");
        n.spec.env = vec![var("BT_WALLET_PATH", "/w"), var("EXTRA", "1")];
        let env = container_env(&n, &subnet("sn", &[]), &ExternalAxon::default());
        let names: Vec<_> = env.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names.iter().filter(|n| **n == "BT_WALLET_PATH").count(), 1);
        assert_eq!(&names[names.len() - 2..], ["BT_WALLET_PATH", "EXTRA"]);
        assert_eq!(wallet_path(&n), "/w");
    }
}
