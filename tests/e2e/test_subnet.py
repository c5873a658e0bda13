"""Subnet status and validation (API.md "Subnet"), with the chain unreachable."""

from checks import cond_is, condition, events_for
from manifests import NS, neuron, subnet


def test_unreachable_chain_and_member_counts(cluster, operator, apply, get, wait_for):
    apply(subnet())
    apply(neuron(name="m-0"))
    apply(neuron(name="m-1"))
    sn = wait_for(lambda: (s := get("subnets", NS, "sn21")).get("status", {}).get("neurons", {}).get("total") == 2
                  and "ws://127.0.0.1:9" in (condition(s, "ChainReachable") or {}).get("message", "") and s,
                  message="Subnet counts both Neurons and reports the failed poll")
    st = sn["status"]
    assert {k: st["neurons"][k] for k in ("total", "registered", "ready")} == {"total": 2, "registered": 0, "ready": 0}
    assert st["observedGeneration"] == sn["metadata"]["generation"]
    assert cond_is(sn, "ChainReachable", "False")
    assert "ws://127.0.0.1:9" in condition(sn, "ChainReachable")["message"]
    assert cond_is(sn, "Ready", "False")
    assert "block" not in st and "burnRao" not in st  # nothing known from a chain never reached


def test_invalid_subnet_blocks_its_neurons(cluster, operator, apply, get, wait_for):
    apply(subnet(endpoints=["http://127.0.0.1:9"]))  # not ws://, wss:// (nor the test-only fake+http://)
    apply(neuron())
    sn = wait_for(lambda: cond_is(s := get("subnets", NS, "sn21"), "InvalidSpec", "True") and s,
                  message="InvalidSpec on the Subnet")
    assert "spec.endpoints[0]" in condition(sn, "InvalidSpec")["message"]
    wait_for(lambda: [e for e in events_for(cluster, "Subnet", "sn21")
                      if e["type"] == "Warning" and e["reason"] == "InvalidSpec"], message="Subnet Event")
    nrn = wait_for(lambda: cond_is(n := get("neurons", NS, "miner-0"), "InvalidSpec", "True") and n,
                   message="InvalidSpec on its Neuron")
    assert "sn21" in condition(nrn, "InvalidSpec")["message"]
    sts = get("statefulsets", NS, "miner-0")
    assert sts is None or sts["spec"]["replicas"] == 0
