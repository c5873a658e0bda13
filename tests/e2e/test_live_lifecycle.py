"""The whole lifecycle of one miner against a real Subtensor node (a local devnet), through the
API emulator and the real operator with its subxt client: the operator generates the hotkey,
registers it by burn within the cap, scales the StatefulSet up, serves the axon on chain, writes
the chain figures into status, and after a restart pays nothing again.

Skipped unless these are set (nothing here can start a node):
  TF_TEST_SUBTENSOR_URL   ws:// endpoint of the node
  TF_TEST_NETUID          a subnet with registration allowed
  TF_TEST_COLDKEY_SEED    0x-hex mini secret of a funded coldkey (on a devnet, `subkey inspect
                          //Alice` prints it as "Secret seed"), or TF_TEST_COLDKEY_MNEMONIC
  TF_TEST_MAX_BURN        optional cap in TAO (default 10): the most this test may spend
"""

import os
import time

import pytest

from checks import cond_is
from manifests import NS, neuron, secret, subnet

URL = os.environ.get("TF_TEST_SUBTENSOR_URL")
NETUID = os.environ.get("TF_TEST_NETUID")
SEED = os.environ.get("TF_TEST_COLDKEY_SEED")
MNEMONIC = os.environ.get("TF_TEST_COLDKEY_MNEMONIC")
MAX_BURN = os.environ.get("TF_TEST_MAX_BURN", "10")
TAO = 10**9

pytestmark = pytest.mark.skipif(
    not (URL and NETUID and (SEED or MNEMONIC)),
    reason="live chain test: set TF_TEST_SUBTENSOR_URL, TF_TEST_NETUID and TF_TEST_COLDKEY_SEED "
           "(or TF_TEST_COLDKEY_MNEMONIC) to run against a Subtensor devnet")


@pytest.mark.timeout(600)
def test_live_miner_lifecycle(cluster, start_operator, apply, get, wait_for, kubelet_create_pod_for):
    netuid = int(NETUID)
    cold = {"seed": SEED} if SEED else {"mnemonic": MNEMONIC}
    apply(secret("cold-live", cold))
    apply(subnet(name="live", netuid=netuid, endpoints=(URL,), max_burn=MAX_BURN, pollIntervalSeconds=2))
    apply(neuron(name="live-0", subnet="live", wallet={"coldkeySecret": "cold-live"},
                 axon={"externalIp": "203.0.113.7"}))
    op = start_operator()

    wait_for(lambda: cond_is(get("subnets", NS, "live"), "ChainReachable", "True"), timeout=60,
             message="ChainReachable on the live Subnet")
    n = wait_for(lambda: cond_is(x := get("neurons", NS, "live-0"), "Registered", "True") and x,
                 timeout=300, message="registered on chain")
    st = n["status"]
    assert st["uid"] is not None and st["hotkey"]
    spends = [r for r in st.get("registration", []) if r.get("result", "").startswith("Success")]
    assert len(spends) == 1, st.get("registration")
    assert 0 < spends[0]["paidRao"] <= float(MAX_BURN) * TAO, spends[0]
    assert not st.get("pendingRegistration")

    sts = wait_for(lambda: (s := get("statefulsets", NS, "live-0")) and s["spec"]["replicas"] == 1 and s,
                   timeout=30, message="StatefulSet scaled to 1")
    kubelet_create_pod_for(sts)
    n = wait_for(lambda: cond_is(x := get("neurons", NS, "live-0"), "AxonServed", "True") and x,
                 timeout=300, message="axon served on chain")
    wait_for(lambda: ((get("neurons", NS, "live-0")["status"].get("chain") or {}).get("axon") or {})
             .get("ip") == "203.0.113.7", timeout=120, message="the served axon read back from chain")
    chain = get("neurons", NS, "live-0")["status"]["chain"]
    assert {"stakeRao", "incentive", "emissionRao", "lastUpdate"} <= set(chain), sorted(chain)

    # a restarted operator reads the chain and pays nothing again
    assert op.stop() == 0
    start_operator()
    time.sleep(20)
    st = get("neurons", NS, "live-0")["status"]
    assert len([r for r in st.get("registration", []) if r.get("paidRao")]) == 1, st["registration"]
    assert cond_is(get("neurons", NS, "live-0"), "Registered", "True")
