"""The whole lifecycle of one miner against a real Subtensor node (a local devnet), through the
API emulator and the real operator with its subxt client: the operator generates the hotkey,
registers it by burn within the cap, scales the StatefulSet up, serves the axon on chain (at
127.0.0.2: the chain refuses only 127.0.0.1 of the loopback range), writes the chain figures into
status, and after a restart pays nothing again. Then: a validator's stake read back after the
operator's add_stake; a registration through a Registration proxy key; and a proxy key of the
wrong type, named in the condition with nothing submitted (set up with `tensorfleet chain proxy`
and `tensorfleet chain transfer` as a user would).

Skipped unless these are set (nothing here can start a node):
  TF_TEST_SUBTENSOR_URL   ws:// endpoint of the node
  TF_TEST_NETUID          a subnet with registration allowed
  TF_TEST_COLDKEY_SEED    0x-hex mini secret of a funded coldkey (on a devnet, `subkey inspect
                          //Alice` prints it as "Secret seed"), or TF_TEST_COLDKEY_MNEMONIC
  TF_TEST_MAX_BURN        optional cap in TAO (default 10): the most this test may spend
"""

import json
import os
import secrets
import subprocess
import time

import pytest
from bittensor_wallet import Keypair

from checks import cond_is
from manifests import NS, neuron, secret, subnet
from operator_proc import binary_path

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
    apply(live_subnet())
    apply(neuron(name="live-0", subnet="live", wallet={"coldkeySecret": "cold-live"},
                 axon={"externalIp": "127.0.0.2"}))
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
             .get("ip") == "127.0.0.2", timeout=120, message="the served axon read back from chain")
    chain = get("neurons", NS, "live-0")["status"]["chain"]
    assert {"stakeRao", "incentive", "emissionRao", "lastUpdate"} <= set(chain), sorted(chain)

    # a restarted operator reads the chain and pays nothing again
    assert op.stop() == 0
    start_operator()
    time.sleep(20)
    st = get("neurons", NS, "live-0")["status"]
    assert len([r for r in st.get("registration", []) if r.get("paidRao")]) == 1, st["registration"]
    assert cond_is(get("neurons", NS, "live-0"), "Registered", "True")


def live_subnet():
    return subnet(name="live", netuid=int(NETUID), endpoints=(URL,), max_burn=MAX_BURN,
                  pollIntervalSeconds=2, network="local")


def registrations(get, name):
    return get("neurons", NS, name)["status"].get("registration", [])


@pytest.mark.timeout(600)
def test_live_validator_stake_is_read_back(cluster, start_operator, apply, get, wait_for):
    cold = {"seed": SEED} if SEED else {"mnemonic": MNEMONIC}
    apply(secret("cold-live", cold))
    apply(live_subnet())
    apply(neuron(name="live-v", subnet="live", role="validator",
                 wallet={"coldkeySecret": "cold-live"}, axon={"serve": False},
                 stake={"targetTao": "0.05", "maxAddPerDayTao": "0.05"}))
    start_operator()
    n = wait_for(lambda: (x := get("neurons", NS, "live-v")) and [
        r for r in x["status"].get("stakeOperations", []) if r.get("result") == "Success"] and x,
        timeout=300, message="a successful add_stake recorded")
    op = [r for r in n["status"]["stakeOperations"] if r["result"] == "Success"][0]
    # The TAO actually spent, from the StakeAdded event: at most the daily cap.
    assert 0 < op["amountRao"] <= 50_000_000, op
    chain = wait_for(lambda: (c := get("neurons", NS, "live-v")["status"].get("chain") or {})
                     .get("ownStakeRao", 0) > 0 and c, timeout=60, message="own stake in status")
    assert chain["stakeRao"] >= chain["ownStakeRao"] > 0, chain
    assert float(chain["alphaPrice"]) > 0 and float(chain["ownStakeTao"]) > 0, chain


def tf_chain(*args, cwd):
    """`tensorfleet chain ...` against the devnet, as a user would set a coldkey up."""
    out = subprocess.run([str(binary_path()), "chain", "--endpoint", URL, "--output", "json", *args],
                         capture_output=True, text=True, timeout=120, cwd=cwd)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def proxy_key_for(tmp_path, proxy_type):
    """A fresh proxy key, funded for its fees and granted `proxy_type` by the coldkey."""
    if not SEED:
        pytest.skip("the proxy cases sign setup calls with TF_TEST_COLDKEY_SEED")
    cold = Keypair.create_from_seed(SEED)
    keyfile = tmp_path / "coldkey.json"
    keyfile.write_text(json.dumps({"secretSeed": SEED, "ss58Address": cold.ss58_address}))
    keyfile.chmod(0o600)
    seed = "0x" + secrets.token_hex(32)
    proxy = Keypair.create_from_seed(seed)
    key = ("--coldkey-file", str(keyfile), "--yes")
    sent = tf_chain("transfer", "--to", proxy.ss58_address, "--amount", "1", *key, cwd=tmp_path)
    assert sent["outcome"]["result"] == "Success", sent
    granted = tf_chain("proxy", "--delegate", proxy.ss58_address, "--type", proxy_type, *key,
                       cwd=tmp_path)
    assert granted["outcome"]["result"] == "Success", granted
    return {"proxy-seed": seed, "real": cold.ss58_address}


@pytest.mark.timeout(600)
def test_live_registration_through_a_registration_proxy(cluster, start_operator, apply, get,
                                                        wait_for, tmp_path):
    apply(secret("proxy-live", proxy_key_for(tmp_path, "Registration")))
    apply(live_subnet())
    apply(neuron(name="live-p", subnet="live", wallet={"coldkeySecret": "proxy-live"},
                 axon={"serve": False}))
    start_operator()
    n = wait_for(lambda: cond_is(x := get("neurons", NS, "live-p"), "Registered", "True") and x,
                 timeout=300, message="registered through the proxy")
    paid = [r for r in registrations(get, "live-p") if r.get("paidRao")]
    assert len(paid) == 1 and paid[0]["result"] == "Success", registrations(get, "live-p")
    assert 0 < paid[0]["paidRao"] <= float(MAX_BURN) * TAO
    # coldkeypub.txt is the real coldkey's: it owns the hotkey on chain.
    assert n["status"]["coldkey"] == Keypair.create_from_seed(SEED).ss58_address


@pytest.mark.timeout(600)
def test_live_proxy_of_the_wrong_type_is_named(cluster, start_operator, apply, get, wait_for,
                                              tmp_path):
    apply(secret("proxy-staking", proxy_key_for(tmp_path, "Staking")))
    apply(live_subnet())
    apply(neuron(name="live-s", subnet="live", wallet={"coldkeySecret": "proxy-staking"},
                 axon={"serve": False}))
    start_operator()
    n = wait_for(lambda: cond_is(x := get("neurons", NS, "live-s"), "RegistrationBlocked", "True")
                 and x, timeout=120, message="RegistrationBlocked")
    c = [c for c in n["status"]["conditions"] if c["type"] == "RegistrationBlocked"][0]
    assert c["reason"] == "ProxyMisconfigured", c
    assert "Staking (delay 0)" in c["message"] and "needs a Registration" in c["message"], c
    # Refused before signing: nothing submitted, nothing recorded as paid.
    time.sleep(5)
    assert not registrations(get, "live-s"), registrations(get, "live-s")
    assert not cond_is(get("neurons", NS, "live-s"), "Registered", "True")
