"""The registered path, against the fake chain (`tensorfleet-fakechain`, cargo feature `fake-chain`):
a registered hotkey gets its pod, suspend scales it away, auto registration burns once within caps.

Needs `tests/e2e/fakechain.py` (the fake-chain helper's client) and both binaries built with
`cargo build --features fake-chain`; skipped with the reason otherwise.
"""

import pytest

from checks import cond_is, ss58_of_mnemonic
from lifecycle_env import polled
from manifests import COLD_MNEMONIC, NS, neuron, secret, subnet

TAO = 10**9
NETUID = 21


@pytest.fixture
def chain(start_chain):
    return start_chain({
        "head": 1000,
        "subnets": {str(NETUID): {"burn": TAO // 2, "min_burn": TAO // 10, "max_burn": 10 * TAO,
                                  "tempo": 360, "immunity_period": 5000, "max_allowed_uids": 256}},
    })


def chain_subnet(chain, **kw):
    return subnet(endpoints=[chain.endpoint], pollIntervalSeconds=2, **kw)


def nrn(get, name="miner-0"):
    return get("neurons", NS, name) or {}


def replicas(get, name="miner-0"):
    sts = get("statefulsets", NS, name)
    return sts and sts["spec"]["replicas"]


def externally_registered(chain, apply, get, wait_for) -> str:
    """A Neuron with `registration.mode: external` whose hotkey someone registered; its hotkey."""
    apply(chain_subnet(chain))
    apply(neuron(registration={"mode": "external"}))
    hotkey = wait_for(lambda: nrn(get).get("status", {}).get("hotkey"), timeout=20, message="hotkey")
    assert replicas(get) == 0
    chain.register(NETUID, hotkey)
    wait_for(lambda: replicas(get) == 1, timeout=20, message="replicas 1 once registered")
    return hotkey


def test_subnet_status_from_a_reachable_chain(cluster, chain, operator, apply, get, wait_for):
    apply(chain_subnet(chain))
    sn = wait_for(lambda: cond_is(s := get("subnets", NS, "sn21"), "ChainReachable", "True") and s,
                  timeout=20, message="ChainReachable=True")
    st = sn["status"]
    assert st["endpoint"] == chain.endpoint
    assert st["block"] >= 1000 and st["lastPolledAt"].endswith("Z")
    assert st["tempo"] == 360 and st["immunityPeriod"] == 5000 and st["maxAllowedUids"] == 256
    assert st["burnRao"] == chain.snapshot(NETUID)["params"]["burn"] == TAO // 2
    assert st["burnTao"] == "0.5"
    assert st["registrationAllowed"] is True


def test_externally_registered_neuron_gets_its_pod_and_runs(cluster, chain, operator, apply, get, wait_for,
                                                          kubelet_create_pod_for):
    hotkey = externally_registered(chain, apply, get, wait_for)
    kubelet_create_pod_for(get("statefulsets", NS, "miner-0"))
    n = wait_for(lambda: (x := nrn(get)).get("status", {}).get("phase") == "Running" and x, timeout=20,
                 message="phase Running")
    st = n["status"]
    assert st["uid"] == chain.uid_of(NETUID, hotkey) is not None
    assert st["pod"]["name"] == "miner-0-0" and st["pod"]["ready"] is True and st["pod"]["restarts"] == 0
    assert st["pod"]["node"] == "gpu-node-1"
    for t in ("Registered", "PodReady", "Ready"):
        assert cond_is(n, t, "True"), (t, st["conditions"])
    assert chain.burns() == [], "external registration must never spend"


def test_unready_restarting_pod_is_degraded(cluster, chain, operator, apply, get, wait_for,
                                           kubelet_create_pod_for):
    hotkey = externally_registered(chain, apply, get, wait_for)
    pod = kubelet_create_pod_for(get("statefulsets", NS, "miner-0"), ready=False)
    status = pod["status"]
    status["containerStatuses"][0].update(restartCount=2, state={"waiting": {"reason": "CrashLoopBackOff"}})
    cluster.set_status("pods", NS, "miner-0-0", status)
    n = wait_for(lambda: (x := nrn(get)).get("status", {}).get("phase") == "Degraded" and x, timeout=20,
                 message="phase Degraded")
    assert n["status"]["pod"]["restarts"] == 2 and n["status"]["pod"]["ready"] is False
    assert cond_is(n, "PodReady", "False") and cond_is(n, "Registered", "True") and cond_is(n, "Ready", "False")


def test_suspend_scales_a_registered_neuron_to_zero_and_back(cluster, chain, operator, apply, get, wait_for):
    hotkey = externally_registered(chain, apply, get, wait_for)
    apply(neuron(registration={"mode": "external"}, suspend=True))
    wait_for(lambda: replicas(get) == 0 and nrn(get)["status"]["phase"] == "Suspended", timeout=20,
             message="suspended: replicas 0")
    assert chain.uid_of(NETUID, hotkey) is not None, "suspend must leave the registration alone"
    apply(neuron(registration={"mode": "external"}))
    wait_for(lambda: replicas(get) == 1, timeout=20, message="resumed: replicas 1")


def test_deregistered_neuron_scales_to_zero(cluster, chain, operator, apply, get, wait_for):
    hotkey = externally_registered(chain, apply, get, wait_for)
    chain.deregister(NETUID, hotkey)
    wait_for(lambda: replicas(get) == 0 and nrn(get)["status"]["phase"] == "Deregistered", timeout=20,
             message="Deregistered: replicas 0")
    assert cond_is(nrn(get), "Registered", "False")


def test_auto_registration_burns_once_within_the_cap(cluster, chain, start_operator, apply, get, wait_for):
    cold = ss58_of_mnemonic(COLD_MNEMONIC)
    chain.set_balance(cold, 10 * TAO)
    apply(chain_subnet(chain, max_burn="1"))
    apply(secret("cold-main", {"mnemonic": COLD_MNEMONIC}))
    apply(neuron(wallet={"coldkeySecret": "cold-main"}, registration={"maxBurnTao": "0.6"}))
    op = start_operator()
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered by burn: replicas 1")
    [burn] = chain.burns()
    assert 0 < burn["burned_rao"] <= 6 * TAO // 10
    st = nrn(get)["status"]
    [record] = st["registration"]
    assert record["result"] == "Success" and record["paidRao"] == burn["burned_rao"]
    assert st["coldkey"] == cold and st["uid"] == chain.uid_of(NETUID, st["hotkey"])
    # a restarted operator checks the chain instead of paying again
    assert op.stop() == 0
    again = start_operator()
    wait_for(lambda: get("neurons", NS, "miner-0")["status"].get("observedGeneration") == 1, message="status")
    head = chain.advance(5)
    wait_for(lambda: polled(again, chain, head), timeout=20, message="polled after restart")
    assert nrn(get)["status"]["chain"]["block"] >= 1000
    assert len(chain.burns()) == 1


def test_burn_above_the_cap_is_not_paid(cluster, chain, operator, apply, get, wait_for):
    cold = ss58_of_mnemonic(COLD_MNEMONIC)
    chain.set_balance(cold, 10 * TAO)
    chain.set_subnet(NETUID, burn=2 * TAO)
    apply(chain_subnet(chain, max_burn="1"))
    apply(secret("cold-main", {"mnemonic": COLD_MNEMONIC}))
    apply(neuron(wallet={"coldkeySecret": "cold-main"}))
    n = wait_for(lambda: cond_is(x := nrn(get), "RegistrationBlocked", "True") and x, timeout=30,
                 message="RegistrationBlocked")
    assert n["status"].get("registration", []) == []
    assert chain.burns() == []
    assert replicas(get) == 0
