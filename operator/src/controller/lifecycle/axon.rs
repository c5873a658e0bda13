//! Axon: find the address the neuron is reachable at and publish it on chain (`serve_axon`,
//! signed by the hotkey, fee-free) only when it differs from the chain's and the serving rate
//! limit allows. Condition AxonServed.

use super::target::{client, without, Target};
use super::{publish, StepOutcome};
use crate::api::{types, AxonExpose, CondSpec, NeuronStatus};
use crate::chain::client::calls::axon_address_error;
use crate::chain::{ChainError, ServeAxonRequest, TxParams};
use crate::children::{axon_service_name, external_port, hotkey_secret_name, ExternalAxon};
use crate::controller::error::Result;
use k8s_openapi::api::core::v1::{Node, Secret, Service};
use kube::runtime::events::EventType;
use kube::{Api, ResourceExt};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

/// Axon protocol version published with the endpoint.
const AXON_VERSION: u32 = 0;
const RETRY: Duration = Duration::from_secs(30);

fn served(status: bool, reason: &str, message: impl Into<String>) -> StepOutcome {
    let c = CondSpec::new(types::AXON_SERVED, status, reason, message);
    StepOutcome {
        conditions: vec![(types::AXON_SERVED, Some(c))],
        requeue: (!status).then_some(RETRY),
    }
}

/// The address to publish: `externalIp`, else the LoadBalancer ingress, else (HostPort and
/// NodePort) the pod's node's ExternalIP, then InternalIP. Pure.
pub fn pick_ip(
    expose: AxonExpose,
    explicit: Option<&str>,
    lb_ingress: Option<&str>,
    node_addresses: &[(String, String)],
) -> Option<String> {
    if let Some(ip) = explicit.filter(|s| !s.is_empty()) {
        return Some(ip.to_string());
    }
    match expose {
        AxonExpose::LoadBalancer => lb_ingress.map(str::to_string),
        AxonExpose::HostPort | AxonExpose::NodePort => ["ExternalIP", "InternalIP"]
            .iter()
            .find_map(|kind| node_addresses.iter().find(|(k, _)| k == kind))
            .map(|(_, a)| a.clone()),
        AxonExpose::None => None,
    }
}

/// An address to publish: it parses, the chain accepts it (exactly the chain's rule:
/// `client::calls::axon_address_error`; 127.0.0.2 and private ranges pass, 127.0.0.1 and ::1 do
/// not), and it is not unspecified (0.0.0.0 is the chain's "not served"). The error says why.
pub fn usable(ip: &str, port: u16) -> std::result::Result<IpAddr, String> {
    let addr: IpAddr = ip
        .parse()
        .map_err(|_| format!("{ip:?} is not an IP address"))?;
    if addr.is_unspecified() {
        return Err(format!(
            "{addr} is the unspecified address: nobody can reach it"
        ));
    }
    match axon_address_error(addr, port) {
        Some(e) => Err(e),
        None => Ok(addr),
    }
}

/// Loopback, private and link-local addresses are not reachable from the internet: fine on a
/// local or test chain, worth a warning on mainnet.
pub fn unreachable_from_internet(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// What this process served last per Neuron (address, head): the snapshot lags one poll behind.
type Served = HashMap<String, (IpAddr, u16, u64)>;
static LAST_SERVED: LazyLock<Mutex<Served>> = LazyLock::new(Default::default);

pub async fn step(t: &Target<'_>, status: &NeuronStatus) -> Result<StepOutcome> {
    let axon = &t.neuron.spec.axon;
    if !axon.serve {
        return Ok(without(types::AXON_SERVED));
    }
    let snap = t.snapshot();
    let Some((snap, info)) = snap.and_then(|s| Some((s, s.neuron_by_hotkey(&t.hotkey)?))) else {
        return Ok(StepOutcome {
            conditions: vec![(
                types::AXON_SERVED,
                Some(CondSpec::new(
                    types::AXON_SERVED,
                    false,
                    "NotRegistered",
                    "the hotkey is not registered",
                )),
            )],
            requeue: None,
        });
    };
    let (ip, port) = match discover(t, status).await? {
        (Some(ip), Some(port)) => (ip, port),
        _ => {
            return Ok(served(
                false,
                "AddressUnknown",
                "the axon's external address or port is not known yet",
            ))
        }
    };
    let addr = match usable(&ip, port) {
        Ok(a) => a,
        Err(why) => return Ok(served(false, "InvalidAddress", why)),
    };
    if info
        .axon
        .as_ref()
        .is_some_and(|a| a.ip == addr && a.port == port)
    {
        return Ok(served(true, "Served", format!("{addr}:{port} is on chain")));
    }
    let key = format!("{}/{}", t.key.namespace, t.neuron.name_any());
    let limit = snap.params.serving_rate_limit;
    let recent = LAST_SERVED.lock().expect("axon lock").get(&key).copied();
    if let Some((ip, p, at)) = recent {
        if ip == addr && p == port && snap.block < at + limit.max(1) {
            return Ok(served(
                true,
                "Served",
                format!("{addr}:{port} served at block {at}"),
            ));
        }
    }
    if let Some(a) = &info.axon {
        if limit > 0 && snap.block < a.block + limit {
            return Ok(served(
                false,
                "RateLimited",
                format!(
                    "{addr}:{port} differs from the chain's {}:{}; serving allowed from block {}",
                    a.ip,
                    a.port,
                    a.block + limit
                ),
            ));
        }
    }
    serve(t, addr, port, &key).await
}

async fn discover(t: &Target<'_>, status: &NeuronStatus) -> Result<(Option<String>, Option<u16>)> {
    let axon = &t.neuron.spec.axon;
    let ns = &t.key.namespace;
    let svc = match axon.expose {
        AxonExpose::NodePort | AxonExpose::LoadBalancer => {
            Api::<Service>::namespaced(t.ctx.client.clone(), ns)
                .get_opt(&axon_service_name(t.neuron))
                .await?
        }
        _ => None,
    };
    let external = svc
        .as_ref()
        .map(crate::children::service_external)
        .unwrap_or_default();
    let explicit = axon.external_ip.as_deref().filter(|s| !s.is_empty());
    let mut node_addresses = Vec::new();
    let node = status.pod.as_ref().and_then(|p| p.node.clone());
    if explicit.is_none() && matches!(axon.expose, AxonExpose::HostPort | AxonExpose::NodePort) {
        if let Some(node) = node {
            let n = Api::<Node>::all(t.ctx.client.clone())
                .get_opt(&node)
                .await?;
            node_addresses = n
                .and_then(|n| n.status)
                .and_then(|s| s.addresses)
                .unwrap_or_default()
                .into_iter()
                .map(|a| (a.type_, a.address))
                .collect();
        }
    }
    let ip = pick_ip(
        axon.expose,
        explicit,
        external.ip.as_deref(),
        &node_addresses,
    );
    let port = external_port(
        t.neuron,
        &ExternalAxon {
            ip: ip.clone(),
            port: external.port,
        },
    );
    Ok((ip, port))
}

async fn serve(t: &Target<'_>, addr: IpAddr, port: u16, key: &str) -> Result<StepOutcome> {
    let Some(chain) = client(t) else {
        return Ok(StepOutcome::retry(Duration::from_secs(6)));
    };
    let secret_name = hotkey_secret_name(t.neuron);
    let secrets: Api<Secret> = Api::namespaced(t.ctx.client.clone(), &t.key.namespace);
    let Some(secret) = secrets.get_opt(&secret_name).await? else {
        return Ok(served(
            false,
            "HotkeyUnavailable",
            format!("hotkey Secret {secret_name} is missing"),
        ));
    };
    let data = crate::controller::wallet::secret_data(&secret);
    let hotkey = match crate::keys::parse_hotkey_secret(&secret_name, &data) {
        Ok(h) => h,
        Err(e) => return Ok(served(false, "HotkeyUnavailable", e.to_string())),
    };
    let reads = async {
        let head = chain.head().await?;
        let nonce = chain.account_nonce(&t.hotkey).await?;
        Ok::<_, ChainError>((head, nonce))
    };
    let (head, nonce) = match reads.await {
        Ok(r) => r,
        Err(e) => return Ok(served(false, "ChainReadFailed", e.to_string())),
    };
    let req = ServeAxonRequest {
        netuid: t.subnet.spec.netuid,
        hotkey: hotkey.keypair(),
        ip: addr,
        port,
        version: AXON_VERSION,
        tx: TxParams {
            nonce,
            birth_block: head,
            period: 64,
        },
    };
    let note = format!("{addr}:{port}");
    if t.subnet.spec.network == crate::api::Network::Finney && unreachable_from_internet(addr) {
        let why = format!(
            "serving {note} on finney: a loopback or private address is not reachable from validators on the internet"
        );
        publish(
            t.ctx,
            t.neuron,
            EventType::Warning,
            "AxonAddressPrivate",
            &why,
        )
        .await;
    }
    match chain.serve_axon(&req).await {
        Ok(o) if o.result.label() == "Success" => {
            LAST_SERVED
                .lock()
                .expect("axon lock")
                .insert(key.to_string(), (addr, port, o.block));
            tracing::info!(neuron = %t.neuron.name_any(), axon = %note, block = o.block, "axon served");
            publish(
                t.ctx,
                t.neuron,
                EventType::Normal,
                "AxonServed",
                &format!("serve_axon {note} at block {}", o.block),
            )
            .await;
            Ok(served(
                true,
                "Served",
                format!("{note} served at block {}", o.block),
            ))
        }
        Ok(o) => {
            let msg = format!("serve_axon {note} failed: {}", o.result.label());
            publish(t.ctx, t.neuron, EventType::Warning, "AxonServeFailed", &msg).await;
            Ok(served(false, "ServeFailed", msg))
        }
        Err(e) => {
            let msg = format!("serve_axon {note}: {e}");
            publish(t.ctx, t.neuron, EventType::Warning, "AxonServeFailed", &msg).await;
            Ok(served(false, "ServeFailed", msg))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_choice() {
        let node = vec![
            ("InternalIP".to_string(), "10.0.0.5".to_string()),
            ("ExternalIP".to_string(), "198.51.100.9".to_string()),
        ];
        let internal_only = vec![("InternalIP".to_string(), "10.0.0.5".to_string())];
        let cases = [
            (
                AxonExpose::NodePort,
                Some("203.0.113.7"),
                None,
                &node,
                Some("203.0.113.7"),
            ),
            (
                AxonExpose::NodePort,
                None,
                None,
                &node,
                Some("198.51.100.9"),
            ),
            (
                AxonExpose::HostPort,
                None,
                None,
                &internal_only,
                Some("10.0.0.5"),
            ),
            (
                AxonExpose::LoadBalancer,
                None,
                Some("203.0.113.1"),
                &node,
                Some("203.0.113.1"),
            ),
            (AxonExpose::LoadBalancer, None, None, &node, None),
            (AxonExpose::None, None, None, &node, None),
            (AxonExpose::None, Some(""), None, &node, None),
        ];
        for (expose, explicit, lb, addrs, want) in cases {
            assert_eq!(
                pick_ip(expose, explicit, lb, addrs).as_deref(),
                want,
                "{expose:?} {explicit:?}"
            );
        }
    }

    #[test]
    fn addresses_follow_the_chain_rules() {
        let ok = |ip: &str| usable(ip, 8091).is_ok();
        // What HEAD's serving.rs accepts: other loopback and private addresses too.
        for ip in [
            "203.0.113.7",
            "127.0.0.2",
            "10.0.0.5",
            "192.168.1.2",
            "fd00::1",
            "2001:db8::1",
        ] {
            assert!(ok(ip), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "255.255.255.255",
            "::1",
            "0.0.0.0",
            "::",
            "nope",
        ] {
            assert!(!ok(ip), "{ip}");
        }
        assert!(usable("203.0.113.7", 0).unwrap_err().contains("port 0"));
        let warn = |ip: &str| unreachable_from_internet(ip.parse().unwrap());
        for ip in [
            "127.0.0.2",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.0.9",
            "169.254.1.1",
            "fd12::1",
            "fe80::1",
        ] {
            assert!(warn(ip), "{ip}");
        }
        for ip in ["203.0.113.7", "8.8.8.8", "2001:db8::1"] {
            assert!(!warn(ip), "{ip}");
        }
    }
}
