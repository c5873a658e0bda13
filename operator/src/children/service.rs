//! Service `<neuron>-axon`, when the axon is exposed through a NodePort or a LoadBalancer.

use super::labels::{axon_service_name, child_labels, owner_ref, selector_labels};
use super::statefulset::AXON_PORT_NAME;
use crate::api::{AxonExpose, Neuron};
use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;

/// The axon Service, or `None` when `axon.expose` is None or HostPort (no Service is wanted,
/// and an existing one must be deleted).
pub fn axon_service(neuron: &Neuron) -> Option<Service> {
    let type_ = match neuron.spec.axon.expose {
        AxonExpose::NodePort => "NodePort",
        AxonExpose::LoadBalancer => "LoadBalancer",
        AxonExpose::None | AxonExpose::HostPort => return None,
    };
    Some(Service {
        metadata: ObjectMeta {
            name: Some(axon_service_name(neuron)),
            namespace: neuron.namespace(),
            labels: Some(child_labels(neuron)),
            owner_references: Some(vec![owner_ref(neuron)]),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            type_: Some(type_.into()),
            selector: Some(selector_labels(neuron)),
            // Keep callers' source addresses and answer only on the pod's node, whose address
            // is what the neuron advertises.
            external_traffic_policy: Some("Local".into()),
            ports: Some(vec![ServicePort {
                name: Some(AXON_PORT_NAME.into()),
                port: neuron.spec.axon.port.into(),
                target_port: Some(IntOrString::String(AXON_PORT_NAME.into())),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        status: None,
    })
}

/// The externally reachable address and port of an applied Service, as far as the API server
/// has filled them in (allocated nodePort, LoadBalancer ingress IP).
pub fn service_external(svc: &Service) -> super::ExternalAxon {
    let port = svc
        .spec
        .as_ref()
        .and_then(|s| s.ports.as_ref())
        .and_then(|p| p.first())
        .and_then(|p| p.node_port)
        .and_then(|p| u16::try_from(p).ok());
    let ip = svc
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .and_then(|i| i.first())
        .and_then(|i| i.ip.clone());
    let is_lb = svc.spec.as_ref().and_then(|s| s.type_.as_deref()) == Some("LoadBalancer");
    super::ExternalAxon {
        ip,
        port: if is_lb { None } else { port },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::testutil::neuron;
    use k8s_openapi::api::core::v1::{LoadBalancerIngress, LoadBalancerStatus, ServiceStatus};

    #[test]
    fn service_per_expose() {
        use AxonExpose as E;
        let cases = [
            (E::NodePort, Some("NodePort")),
            (E::LoadBalancer, Some("LoadBalancer")),
            (E::HostPort, None),
            (E::None, None),
        ];
        for (expose, want) in cases {
            let mut n = neuron("m", "sn", "miner");
            n.spec.axon.expose = expose;
            n.spec.axon.port = 8092;
            let svc = axon_service(&n);
            let ty = svc.as_ref().and_then(|s| s.spec.as_ref()?.type_.clone());
            assert_eq!(ty.as_deref(), want, "{expose:?}");
            if let Some(s) = svc {
                assert_eq!(s.metadata.name.as_deref(), Some("m-axon"));
                let spec = s.spec.unwrap();
                assert_eq!(spec.selector, Some(selector_labels(&n)));
                let port = &spec.ports.unwrap()[0];
                assert_eq!(port.port, 8092);
                assert_eq!(port.node_port, Option::None, "left to the API server");
            }
        }
    }

    #[test]
    fn external_from_applied_service() {
        let mut n = neuron("m", "sn", "miner");
        let mut np = axon_service(&n).unwrap();
        np.spec.as_mut().unwrap().ports.as_mut().unwrap()[0].node_port = Some(30891);
        assert_eq!(service_external(&np).port, Some(30891));
        assert_eq!(service_external(&np).ip, None);
        n.spec.axon.expose = AxonExpose::LoadBalancer;
        let mut lb = axon_service(&n).unwrap();
        lb.status = Some(ServiceStatus {
            load_balancer: Some(LoadBalancerStatus {
                ingress: Some(vec![LoadBalancerIngress {
                    ip: Some("198.51.100.9".into()),
                    ..Default::default()
                }]),
            }),
            conditions: None,
        });
        assert_eq!(service_external(&lb).ip.as_deref(), Some("198.51.100.9"));
        assert_eq!(service_external(&lb).port, None);
    }
}
