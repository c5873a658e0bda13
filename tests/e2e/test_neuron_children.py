"""Subnet + Neuron → StatefulSet, Service, wallet Secret and status, per API.md (no chain needed:
the Subnet's endpoint is unreachable, so the hotkey is never registered and replicas stay 0)."""

import json

from checks import (MANAGED, cond_is, env_of, is_ss58, mounted_files, owned_by,
                    ss58_of_mnemonic)
from manifests import COLD_MNEMONIC, IMAGE, NS, decoded, keyfile, neuron, secret, subnet

CHILD_LABELS = {MANAGED: "tensorfleet", "tensorfleet.io/neuron": "miner-0",
                "tensorfleet.io/subnet": "sn21", "tensorfleet.io/role": "miner"}
PHASES = {"Pending", "Registering", "Registered", "Running", "Degraded", "Deregistered", "Suspended", "Failed"}


def children(get, name="miner-0"):
    return (get("statefulsets", NS, name), get("services", NS, f"{name}-axon"),
            get("secrets", NS, f"{name}-wallet"))


def test_children_and_status_follow_the_api(cluster, operator, apply, get, wait_for):
    apply(subnet())
    apply(secret("cold-main", {"mnemonic": COLD_MNEMONIC}))
    nrn = apply(neuron(wallet={"name": "fleet", "coldkeySecret": "cold-main"}, gpus=1,
                       args=["--logging.debug"]))
    sts, svc, wallet = wait_for(lambda: all(children(get)) and children(get), message="children")
    nrn = wait_for(lambda: (n := get("neurons", NS, "miner-0")).get("status", {}).get("hotkey") and n,
                   message="status.hotkey")

    # labels and owner references on every child
    for child in (sts, svc, wallet):
        assert {k: child["metadata"]["labels"].get(k) for k in CHILD_LABELS} == CHILD_LABELS, child["kind"]
        assert owned_by(child, nrn), (child["kind"], child["metadata"].get("ownerReferences"))

    # StatefulSet: not registered → 0 replicas; the container as API.md "What the pod sees"
    assert sts["spec"]["replicas"] == 0
    tmpl = sts["spec"]["template"]
    labels = tmpl["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in sts["spec"]["selector"]["matchLabels"].items())
    assert {k: labels.get(k) for k in CHILD_LABELS} == CHILD_LABELS
    pod = tmpl["spec"]
    [c] = pod["containers"]
    assert c["image"] == IMAGE and c["args"] == ["--logging.debug"]
    env = env_of(c)
    assert env["BT_SUBTENSOR_NETWORK"] == "finney"
    assert env["BT_SUBTENSOR_CHAIN_ENDPOINT"] == "ws://127.0.0.1:9"
    assert env["BT_NETUID"] == "21"
    assert env["BT_WALLET_NAME"] == "fleet"
    assert env["BT_WALLET_PATH"] == "/var/lib/bittensor/wallets"
    assert env["BT_AXON_PORT"] == "8091"
    assert env["TF_NEURON"] == "miner-0" and env["TF_ROLE"] == "miner"
    assert env["BT_WALLET_HOTKEY"] and isinstance(env["BT_WALLET_HOTKEY"], str)
    assert "BT_AXON_EXTERNAL_IP" in env  # NodePort: the node's address (literal or status.hostIP)
    node_port = svc["spec"]["ports"][0]["nodePort"]
    wait_for(lambda: env_of(get("statefulsets", NS, "miner-0")["spec"]["template"]["spec"]["containers"][0])
             .get("BT_AXON_EXTERNAL_PORT") == str(node_port), message="BT_AXON_EXTERNAL_PORT = nodePort")
    assert [p["containerPort"] for p in c["ports"]] == [8091]
    assert c["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert c["resources"]["requests"]["nvidia.com/gpu"] == "1"

    # wallet files in btcli layout, read-only, from <neuron>-wallet only
    root = "/var/lib/bittensor/wallets/fleet"
    files = mounted_files(pod, c)
    hotkey_path = f"{root}/hotkeys/{env['BT_WALLET_HOTKEY']}"
    assert set(files) == {hotkey_path, f"{root}/coldkeypub.txt"}, files
    assert all(src == "miner-0-wallet" and ro for src, _, ro in files.values()), files
    wallet_data = decoded(get("secrets", NS, "miner-0-wallet"))
    assert set(wallet_data) == {files[hotkey_path][1], files[f"{root}/coldkeypub.txt"][1]}

    # the mounted hotkey is the Neuron's hotkey; coldkeypub is public only
    hot = json.loads(wallet_data[files[hotkey_path][1]])
    cold_ss58 = ss58_of_mnemonic(COLD_MNEMONIC)
    coldpub = json.loads(wallet_data[files[f"{root}/coldkeypub.txt"][1]])
    assert coldpub["ss58Address"] == cold_ss58
    assert not {"secretPhrase", "secretSeed", "privateKey"} & set(coldpub)
    assert hot["ss58Address"] == nrn["status"]["hotkey"] != cold_ss58

    # never a coldkey in the pod: no reference to its Secret, no key material
    pod_json = json.dumps(sts["spec"]["template"])
    assert "cold-main" not in pod_json
    for word_run in (COLD_MNEMONIC, " ".join(COLD_MNEMONIC.split()[:3])):
        assert word_run not in pod_json and word_run not in json.dumps(wallet_data)

    # Service for the default expose (NodePort), selecting the pod
    assert svc["spec"]["type"] == "NodePort"
    [port] = svc["spec"]["ports"]
    assert port["port"] == 8091 and port["targetPort"] in (8091, "axon", c["ports"][0].get("name"))
    assert all(labels.get(k) == v for k, v in svc["spec"]["selector"].items())

    # status
    st = nrn["status"]
    assert is_ss58(st["hotkey"])
    assert st.get("coldkey") in (None, cold_ss58)
    assert st["phase"] in PHASES and st["phase"] not in ("Running", "Failed")
    assert st["observedGeneration"] == nrn["metadata"]["generation"]
    assert cond_is(nrn, "Ready", "False")
    for c in st["conditions"]:
        assert c["status"] in ("True", "False", "Unknown") and c["reason"] and c["lastTransitionTime"]
        assert c["reason"][0].isupper() and " " not in c["reason"], c


def test_generated_hotkey_secret_is_created_once(cluster, start_operator, apply, get, wait_for):
    apply(subnet())
    apply(neuron())
    op = start_operator()
    hk = wait_for(lambda: get("secrets", NS, "miner-0-hotkey"), message="generated hotkey Secret")
    assert hk["metadata"]["labels"]["tensorfleet.io/generated"] == "true"
    kf = keyfile(hk)
    assert {"secretPhrase", "secretSeed", "publicKey", "accountId", "ss58Address"} <= set(kf)
    assert ss58_of_mnemonic(kf["secretPhrase"]) == kf["ss58Address"]
    wait_for(lambda: get("neurons", NS, "miner-0").get("status", {}).get("hotkey") == kf["ss58Address"],
             message="status.hotkey = generated ss58")

    # a spec change and an operator restart must not regenerate or rewrite it
    apply(neuron(args=["--x"]))
    wait_for(lambda: get("neurons", NS, "miner-0")["status"].get("observedGeneration") == 2,
             message="observedGeneration 2")
    assert op.stop() == 0
    start_operator()
    apply(neuron(args=["--y"]))
    wait_for(lambda: get("neurons", NS, "miner-0")["status"].get("observedGeneration") == 3
             and get("statefulsets", NS, "miner-0")["spec"]["template"]["spec"]["containers"][0]
             .get("args") == ["--y"], message="the restarted operator reconciled")
    versions = [v for v in cluster.history("secrets", NS, "miner-0-hotkey")]
    assert None not in versions, "the hotkey Secret was deleted at some point"
    assert {json.dumps(v["data"], sort_keys=True) for v in versions} == {json.dumps(hk["data"], sort_keys=True)}
    writes = [r for r in cluster.requests if r.resource == "secrets" and r.name == "miner-0-hotkey"
              and r.verb in ("update", "patch", "delete")]
    assert writes == [], writes


def test_user_hotkey_secret_is_used_and_left_alone(cluster, operator, apply, get, wait_for):
    from bittensor_wallet import Keypair
    mnemonic = Keypair.generate_mnemonic(12)
    apply(subnet())
    user_secret = apply(secret("my-hotkey", {"mnemonic": mnemonic}))
    apply(neuron(wallet={"hotkeySecret": "my-hotkey"}))
    want = ss58_of_mnemonic(mnemonic)
    wait_for(lambda: get("neurons", NS, "miner-0").get("status", {}).get("hotkey") == want,
             message="status.hotkey from the user's mnemonic")
    wallet = wait_for(lambda: get("secrets", NS, "miner-0-wallet"), message="wallet Secret")
    assert keyfile(wallet)["ss58Address"] == want
    assert get("secrets", NS, "miner-0-hotkey") is None, "generated a hotkey despite hotkeySecret"
    assert cluster.history("secrets", NS, "my-hotkey") == [user_secret]


def test_expose_variants_and_service_removal(cluster, operator, apply, get, wait_for):
    apply(subnet())
    apply(neuron(axon={"expose": "LoadBalancer", "port": 9000}))
    svc = wait_for(lambda: get("services", NS, "miner-0-axon"), message="LoadBalancer Service")
    assert svc["spec"]["type"] == "LoadBalancer" and svc["spec"]["ports"][0]["port"] == 9000
    apply(neuron(axon={"expose": "None", "port": 9000}))
    wait_for(lambda: get("services", NS, "miner-0-axon") is None, message="Service deleted on expose None")
    # LoadBalancer advertised the axon port; with no Service there is no external port to advertise
    sts = wait_for(lambda: (s := get("statefulsets", NS, "miner-0"))
                   and "BT_AXON_EXTERNAL_PORT" not in env_of(s["spec"]["template"]["spec"]["containers"][0]) and s,
                   message="no BT_AXON_EXTERNAL_PORT once unexposed")
    assert env_of(sts["spec"]["template"]["spec"]["containers"][0])["BT_AXON_PORT"] == "9000"
    apply(neuron(axon={"expose": "HostPort", "port": 9000}))
    sts = wait_for(lambda: (s := get("statefulsets", NS, "miner-0"))
                   and s["spec"]["template"]["spec"]["containers"][0]["ports"][0].get("hostPort") == 9000 and s,
                   message="hostPort 9000")
    assert get("services", NS, "miner-0-axon") is None


def test_deleted_neuron_leaves_only_garbage_the_gc_collects(cluster, operator, apply, get, wait_for, gc):
    apply(subnet())
    apply(neuron())
    wait_for(lambda: all(children(get)), message="children")
    nrn = get("neurons", NS, "miner-0")
    cluster.delete("neurons", NS, "miner-0")
    wait_for(lambda: get("neurons", NS, "miner-0") is None, message="Neuron gone (finalizer released)")
    # The garbage collector runs continuously: a reconcile in flight when the Neuron went may
    # still re-apply a child (owned by the gone uid), which the GC then collects again.
    collected: set = set()
    wait_for(lambda: not collected.update(gc(nrn)) and not any(children(get)), timeout=10,
             message="children collected")
    assert set(collected) <= {("statefulsets", NS, "miner-0"), ("services", NS, "miner-0-axon"),
                              ("secrets", NS, "miner-0-wallet")}, collected
    assert ("secrets", NS, "miner-0-wallet") in collected, "the wallet Secret must go by owner reference"
    # the generated hotkey (a paid-for identity) is not owned by the Neuron, so it survives
    assert get("secrets", NS, "miner-0-hotkey") is not None
