//! The axon in the plan: `AxonServed`, and the request to publish the address (`serve_axon`)
//! only when it differs from the chain's and the serving rate limit allows.

use super::{until, Refused, Wanted};
use crate::api::{types, AxonExpose, CondSpec};
use std::net::IpAddr;
use std::time::Duration;

/// Look again this soon while the address is unknown or the serve failed.
const RETRY: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
pub struct AxonFacts {
    /// The hotkey is in the latest snapshot.
    pub registered: bool,
    /// Where the neuron is reachable: `Err` when the address is unusable, `Ok(None)` while it
    /// is not known yet.
    pub want: Result<Option<(IpAddr, u16)>, String>,
    /// What the chain shows: (ip, port, block served).
    pub on_chain: Option<(IpAddr, u16, u64)>,
    /// What this process served last (the snapshot lags a poll behind).
    pub served: Option<(IpAddr, u16, u64)>,
    pub block: u64,
    pub rate_limit: u64,
    pub busy: bool,
    pub refusal: Option<Refused>,
}

pub struct AxonPlan {
    pub condition: CondSpec,
    pub action: Option<Wanted>,
    pub requeue: Option<Duration>,
}

fn served(status: bool, reason: &str, message: impl Into<String>) -> CondSpec {
    CondSpec::new(types::AXON_SERVED, status, reason, message)
}

pub fn plan(f: &AxonFacts, now: jiff::Timestamp) -> AxonPlan {
    let only = |condition, requeue| AxonPlan {
        condition,
        action: None,
        requeue,
    };
    if !f.registered {
        return only(
            served(false, "NotRegistered", "the hotkey is not registered"),
            None,
        );
    }
    let (ip, port) = match &f.want {
        Err(why) => return only(served(false, "InvalidAddress", why.clone()), None),
        Ok(None) => {
            let msg = "the axon's external address or port is not known yet";
            return only(served(false, "AddressUnknown", msg), Some(RETRY));
        }
        Ok(Some(w)) => *w,
    };
    let addr = format!("{ip}:{port}");
    if f.on_chain.is_some_and(|(i, p, _)| i == ip && p == port) {
        return only(served(true, "Served", format!("{addr} is on chain")), None);
    }
    if let Some((i, p, at)) = f.served {
        if i == ip && p == port && f.block < at + f.rate_limit.max(1) {
            return only(
                served(true, "Served", format!("{addr} served at block {at}")),
                None,
            );
        }
    }
    if f.busy {
        return only(served(false, "Serving", format!("serving {addr}")), None);
    }
    if let Some((i, p, at)) = f.on_chain {
        if f.rate_limit > 0 && f.block < at + f.rate_limit {
            let msg = format!(
                "{addr} differs from the chain's {i}:{p}; serving allowed from block {}",
                at + f.rate_limit
            );
            return only(served(false, "RateLimited", msg), Some(RETRY));
        }
    }
    if let Some(r) = f.refusal.as_ref().filter(|r| r.holds(now)) {
        return only(
            served(false, &r.reason, r.message.clone()),
            Some(until(now, r.retry_at)),
        );
    }
    AxonPlan {
        condition: served(false, "Serving", format!("serving {addr}")),
        action: Some(Wanted::Serve { ip, port }),
        requeue: None,
    }
}

/// The address to publish: `externalIp`, else the LoadBalancer ingress, else (HostPort and
/// NodePort) the pod's node's ExternalIP, then InternalIP.
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
    fn private_addresses_are_flagged() {
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
