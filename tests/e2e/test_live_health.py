"""The health issue's case against a real Subtensor node (a local devnet), through the API
emulator and the real operator: a validator with `health: {maxWeightAgeBlocks: 5,
maxRestartsPerHour: 1}` that never sets weights (no process runs in its pod here, so its
`last_update` stays at its registration block). The restart must come within one poll interval
(+ a few seconds) of the block that crosses the limit, the hourly cap must hold through more
blocks, and the block-derived figures in status must match the block shown.

Blocks: the devnet (chopsticks in Instant mode) makes blocks only from transactions or its
`dev_newBlock` RPC, which this test calls; on a node that produces blocks by itself the test
waits for them instead. Skipped unless the live variables of `test_live_lifecycle.py` are set.
"""

import asyncio
import time

import aiohttp
import pytest

from checks import cond_is, condition
from manifests import NS, neuron, secret
from test_live_lifecycle import MNEMONIC, SEED, URL, live_subnet, pytestmark  # noqa: F401

NAME = "live-h"
POD = f"{NAME}-0"
POLL = 2  # live_subnet()'s pollIntervalSeconds


def rpc(method, params=None):
    async def call():
        async with aiohttp.ClientSession() as s, s.ws_connect(URL) as ws:
            await ws.send_json({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
            while True:
                msg = await ws.receive_json(timeout=60)
                if msg.get("id") == 1:
                    return msg
    return asyncio.run(call())


def head():
    return int(rpc("chain_getHeader")["result"]["number"], 16)


def new_blocks(n):
    """n more blocks: made by the devnet, or waited for on a producing node. Returns the head."""
    start = head()
    if "error" in rpc("dev_newBlock", [{"count": n}]):
        deadline = time.monotonic() + 12 * n + 30
        while head() < start + n and time.monotonic() < deadline:
            time.sleep(1)
    return head()


def weights(get):
    return condition(get("neurons", NS, NAME), "WeightsFresh") or {}


def polled_at_least(get, block):
    return ((get("neurons", NS, NAME).get("status") or {}).get("chain") or {}).get("block", 0) >= block


@pytest.mark.timeout(600)
def test_live_stale_validator_restarts_within_a_poll_of_the_crossing(cluster, start_operator, apply, get,
                                                                   wait_for, kubelet_create_pod_for):
    cold = {"seed": SEED} if SEED else {"mnemonic": MNEMONIC}
    apply(secret("cold-live", cold))
    apply(live_subnet())
    apply(neuron(name=NAME, subnet="live", role="validator", wallet={"coldkeySecret": "cold-live"},
                 axon={"serve": False}, health={"maxWeightAgeBlocks": 5, "maxRestartsPerHour": 1}))
    start_operator()
    wait_for(lambda: cond_is(get("neurons", NS, NAME), "Registered", "True"), timeout=300,
             message="registered on chain")
    sts = wait_for(lambda: (s := get("statefulsets", NS, NAME)) and s["spec"]["replicas"] == 1 and s,
                   timeout=30, message="StatefulSet scaled to 1")
    kubelet_create_pod_for(sts)
    wait_for(lambda: ((get("neurons", NS, NAME).get("status") or {}).get("pod") or {}).get("name") == POD,
             timeout=30, message="pod in status")
    w = wait_for(lambda: (x := weights(get)).get("status") == "True" and x, timeout=30,
                 message="WeightsFresh True")
    last = get("neurons", NS, NAME)["status"]["chain"]["lastUpdate"]
    assert f"weights set at block {last}, stale from block {last + 6}" in w["message"], w

    # Up to age 5: the pod stays.
    while head() < last + 5:
        new_blocks(1)
    wait_for(lambda: polled_at_least(get, last + 5) or weights(get).get("status") == "True", timeout=15,
             message="polled at age 5")
    time.sleep(POLL + 1)
    assert head() == last + 5, "nothing else made blocks"
    assert get("pods", NS, POD) is not None, "age 5 is within maxWeightAgeBlocks 5"

    # The crossing block: restart within one poll interval + a few seconds.
    crossed = new_blocks(1)
    t0 = time.monotonic()
    wait_for(lambda: get("pods", NS, POD) is None, timeout=POLL + 8, message="restart after the crossing")
    took = time.monotonic() - t0
    st = wait_for(lambda: (s := get("neurons", NS, NAME)["status"]).get("operatorRestarts", {}).get("count") == 1
                  and s, timeout=20, message="restart recorded")
    print(f"crossed at block {crossed}; pod deleted {took:.1f} s after the block was made")
    assert st["operatorRestarts"]["lastReason"] == "WeightsStale"
    c = st["chain"]
    assert c["block"] >= crossed and c["blocksSinceLastUpdate"] == c["block"] - c["lastUpdate"], c

    # The hourly cap (1) holds through 30 more blocks.
    kubelet_create_pod_for(get("statefulsets", NS, NAME))
    for _ in range(10):
        new_blocks(3)
        time.sleep(0.5)
    wait_for(lambda: "maxRestartsPerHour (1) reached" in weights(get).get("message", ""), timeout=20,
             message="hourly cap shown")
    time.sleep(POLL + 1)
    st = get("neurons", NS, NAME)["status"]
    assert get("pods", NS, POD) is not None and st["operatorRestarts"]["count"] == 1, st["operatorRestarts"]
    c = st["chain"]
    assert c["blocksSinceLastUpdate"] == c["block"] - c["lastUpdate"], c
    print(f"status: block {c['block']}, lastUpdate {c['lastUpdate']}, age {c['blocksSinceLastUpdate']}; "
          f"WeightsFresh: {weights(get)['message']}")
