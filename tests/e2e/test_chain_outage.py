"""Chain unreachable: Subnet ChainReachable False, the operator keeps running (no crash, no
spend, the registered pod stays), errors are counted; recovery when the chain is back."""

from checks import cond_is
from lifecycle_env import polled, TAO, metric, replicas, setup, start_chain, status  # noqa: F401
from manifests import NS


def test_chain_unreachable_then_recovery(cluster, start_chain, operator, apply, get, wait_for):
    chain = start_chain(burn=TAO // 10)
    setup(apply, chain)
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered")
    chain.set_unreachable(True)
    wait_for(lambda: cond_is(get("subnets", NS, "sn21"), "ChainReachable", "False"), timeout=30,
             message="ChainReachable False")
    assert operator.proc.poll() is None, "operator must keep running"
    assert replicas(get) == 1, "a chain outage never scales a registered neuron down"
    assert status(get).get("uid") is not None
    assert (metric(operator.metrics(), "tensorfleet_chain_request_errors_total", endpoint=chain.endpoint,
                   method="snapshot") or 0) >= 1
    chain.set_unreachable(False)
    wait_for(lambda: cond_is(get("subnets", NS, "sn21"), "ChainReachable", "True"), timeout=30,
             message="ChainReachable True again")
    head = chain.advance(3)
    wait_for(lambda: polled(operator, chain, head), timeout=30,
             message="polls flow again")
    assert len(chain.burns()) == 1
