"""What the apiserver itself fills in on write (not a controller): a Service's clusterIP and the
nodePorts of NodePort/LoadBalancer Services, kept across updates that omit them."""

import itertools

_node_ports = itertools.count(30000)
_cluster_ips = itertools.count(10)


def service_defaults(new: dict, old: dict | None) -> None:
    spec = new.setdefault("spec", {})
    old_spec = (old or {}).get("spec", {})
    if not spec.get("clusterIP"):
        if old_spec.get("clusterIP"):
            spec["clusterIP"] = old_spec["clusterIP"]
        else:
            n = next(_cluster_ips)
            spec["clusterIP"] = f"10.96.{n // 250}.{n % 250 + 1}"
        spec["clusterIPs"] = [spec["clusterIP"]]
    spec.setdefault("type", "ClusterIP")
    wants_node_port = spec["type"] in ("NodePort", "LoadBalancer")
    old_ports = {(p.get("port"), p.get("protocol", "TCP")): p for p in old_spec.get("ports", [])}
    for port in spec.get("ports", []):
        port.setdefault("protocol", "TCP")
        if not wants_node_port:
            port.pop("nodePort", None)
        elif not port.get("nodePort"):
            kept = old_ports.get((port.get("port"), port["protocol"]), {}).get("nodePort")
            port["nodePort"] = kept or next(_node_ports)


DEFAULTERS = {("", "v1", "services"): service_defaults}
