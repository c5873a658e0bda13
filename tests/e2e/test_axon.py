"""Axon publication against the fake chain: the discovered address is served once, not again
while unchanged; the node's ExternalIP is used when no address is given."""

from checks import cond_is, env_of
from lifecycle_env import polled, NETUID, TAO, auto_neuron, metric, replicas, setup, start_chain, status  # noqa: F401
from manifests import NS


def chain_axon(chain, hotkey):
    n = next((n for n in chain.snapshot(NETUID)["neurons"] if n["hotkey"] == hotkey), None)
    return n and n["axon"]


def test_axon_served_once_and_not_again_while_unchanged(cluster, start_chain, operator, apply, get,
                                                        wait_for):
    chain = start_chain(burn=TAO // 10, serving_rate_limit=5)
    setup(apply, chain, axon={"externalIp": "203.0.113.7"})
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered")
    node_port = get("services", NS, "miner-0-axon")["spec"]["ports"][0]["nodePort"]
    n = wait_for(lambda: cond_is(x := get("neurons", NS, "miner-0"), "AxonServed", "True") and x, timeout=30,
                 message="AxonServed")
    hotkey = n["status"]["hotkey"]
    axon = chain_axon(chain, hotkey)
    assert (axon["ip"], axon["port"]) == ("203.0.113.7", node_port)
    env = env_of(get("statefulsets", NS, "miner-0")["spec"]["template"]["spec"]["containers"][0])
    assert env["BT_AXON_EXTERNAL_IP"] == "203.0.113.7" and env["BT_AXON_EXTERNAL_PORT"] == str(node_port)
    for _ in range(2):  # past the serving rate limit, twice: unchanged, so never served again
        head = chain.advance(6)
        wait_for(lambda: polled(operator, chain, head), timeout=20,
                 message="polled")
    wait_for(lambda: (status(get).get("chain") or {}).get("axon", {}).get("ip") == "203.0.113.7", timeout=20,
             message="axon in status.chain")
    assert chain.calls().get("serve_axon") == 1
    assert metric(operator.metrics(), "tensorfleet_neuron_axon_served", neuron="miner-0") == 1

    # a changed address is served again
    apply(auto_neuron(axon={"externalIp": "203.0.113.8"}))
    wait_for(lambda: (chain_axon(chain, hotkey) or {}).get("ip") == "203.0.113.8", timeout=30,
             message="new address served")
    assert chain.calls().get("serve_axon") == 2


def test_hostport_axon_uses_the_node_external_ip(cluster, start_chain, operator, apply, get, wait_for,
                                                 kubelet_create_pod_for):
    chain = start_chain(burn=TAO // 10)
    apply({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "gpu-node-1"},
           "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.5"},
                                    {"type": "ExternalIP", "address": "198.51.100.9"}]}})
    setup(apply, chain, axon={"expose": "HostPort", "port": 8091})
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered")
    assert cond_is(get("neurons", NS, "miner-0"), "AxonServed", "False", "AddressUnknown")
    kubelet_create_pod_for(get("statefulsets", NS, "miner-0"))
    wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "AxonServed", "True"), timeout=30,
             message="AxonServed via the node")
    axon = chain_axon(chain, status(get)["hotkey"])
    assert (axon["ip"], axon["port"]) == ("198.51.100.9", 8091)
