"""Lenient watching (issue 17): a Subnet, Neuron or NeuronSet the operator cannot decode (`role:
boss`: CRD version skew, no admission, a hand edit; the emulator has no admission, so it stores
them) stays out of the typed watches. It gets `Ready=False` reason `InvalidObject` naming the field
and one Warning Event, is logged once, and every other object of its kind keeps reconciling (the
Subnet and NeuronSet controllers watch Neurons too). Fixed, it reconciles normally again."""

import json
import time

from bittensor_wallet import Keypair

from checks import cond_is, condition, events_for
from manifests import NS, neuron, subnet
from neuronsets import members, neuronset

REASON = "InvalidObject"


def invalid(get, kind: str, name: str, field: str) -> dict | None:
    """The object once it shows Ready=False/InvalidObject naming `field`."""
    obj = get(kind, NS, name)
    c = condition(obj or {}, "Ready")
    return obj if c and c["status"] == "False" and c["reason"] == REASON and field in c["message"] else None


def warnings(cluster, kind: str, name: str) -> list[dict]:
    return [e for e in events_for(cluster, kind, name) if e.get("type") == "Warning" and e.get("reason") == REASON]


def decode_logs(op, name: str) -> int:
    """Log lines saying the operator cannot decode `name`."""
    return sum(1 for e in op.logs() if str(e.get("message", "")).startswith("cannot decode")
               and e.get("object") == f"{NS}/{name}")


def reconciled(get, name: str) -> bool:
    """A Neuron the operator reconciled: its StatefulSet and a status with the normal Ready."""
    c = condition(get("neurons", NS, name) or {}, "Ready")
    return bool(get("statefulsets", NS, name)) and bool(c) and c["reason"] != REASON


def test_bad_neurons_among_good_ones(cluster, start_operator, apply, get, wait_for):
    apply(subnet())
    apply(neuron(name="good-0"))
    apply(neuron(name="bad-role", role="boss"))  # in the operator's first list
    op = start_operator("--watch-timeout-seconds", "3")
    apply(neuron(name="good-1"))
    # arrives as a watch event; the value (as if a user pasted a key there) must not be echoed
    phrase = Keypair.generate_mnemonic(12)
    apply(neuron(name="bad-gpus", gpus=phrase))
    apply(neuronset(name="fleet", replicas=2))

    for name in ("good-0", "good-1", "fleet-0", "fleet-1"):
        wait_for(lambda n=name: reconciled(get, n), timeout=30, message=f"{name} reconciled")
    wait_for(lambda: (get("neuronsets", NS, "fleet").get("status") or {}).get("replicas") == 2,
             message="NeuronSet status")
    wait_for(lambda: ((get("subnets", NS, "sn21").get("status") or {}).get("neurons") or {}).get("total") == 4,
             message="Subnet counts the four good Neurons")
    role = wait_for(lambda: invalid(get, "neurons", "bad-role", "spec.role"), message="bad-role reported")
    gpus = wait_for(lambda: invalid(get, "neurons", "bad-gpus", "spec.gpus"), message="bad-gpus reported")
    msg = condition(role, "Ready")["message"]
    assert "unknown variant `boss`, expected `miner` or `validator`" in msg, msg
    assert "invalid type: a string, expected u32" in condition(gpus, "Ready")["message"]
    for name in ("bad-role", "bad-gpus"):
        wait_for(lambda n=name: warnings(cluster, "Neuron", n), message=f"Warning Event on {name}")
        assert get("statefulsets", NS, name) is None, f"{name} got children"
    shown = json.dumps([condition(gpus, "Ready"), warnings(cluster, "Neuron", "bad-gpus")]) + op.text()
    assert phrase not in shown and " ".join(phrase.split()[:3]) not in shown, "the bad value was echoed"

    # Watches restart every 3 s (from the last resourceVersion) and our status write made a new
    # version: still one log line and one Event per bad Neuron.
    time.sleep(7)
    for name in ("bad-role", "bad-gpus"):
        assert len(warnings(cluster, "Neuron", name)) == 1, warnings(cluster, "Neuron", name)
        assert decode_logs(op, name) == 1, f"{name}: {decode_logs(op, name)} log lines"
    assert sum(1 for r in cluster.requests if r.verb == "watch" and r.resource == "neurons") > 6, \
        "the watches did restart meanwhile"

    apply(neuron(name="bad-role"))  # fixed
    wait_for(lambda: reconciled(get, "bad-role"), timeout=30, message="the fixed Neuron reconciles")
    assert not any(c["reason"] == REASON for c in get("neurons", NS, "bad-role")["status"]["conditions"])
    wait_for(lambda: ((get("subnets", NS, "sn21").get("status") or {}).get("neurons") or {}).get("total") == 5,
             message="Subnet counts the fixed Neuron")
    assert invalid(get, "neurons", "bad-gpus", "spec.gpus"), "the other bad Neuron is still reported"


def test_neuron_turning_bad_keeps_its_children_and_its_hotkey(cluster, start_operator, apply, get, wait_for):
    """A running Neuron edited into something undecodable is left as it was: its children stay,
    and a younger Neuron naming the same hotkey Secret stays blocked (never two pods on one
    hotkey). A restart (a fresh list) reports nothing again."""
    apply(subnet())
    apply(neuron(name="old"))
    op = start_operator()
    wait_for(lambda: reconciled(get, "old"), timeout=30, message="old reconciled")
    time.sleep(1.1)  # creation timestamps have seconds: the twin must be younger
    apply(neuron(name="twin", wallet={"hotkeySecret": "old-hotkey", "generateHotkey": False}))
    wait_for(lambda: cond_is(get("neurons", NS, "twin"), "HotkeyConflict", "True"), message="twin in conflict")
    children = {k: get(k, NS, n)["metadata"]["uid"] for k, n in
                (("statefulsets", "old"), ("secrets", "old-wallet"), ("services", "old-axon"))}

    apply(neuron(name="old", role="chief"))
    wait_for(lambda: invalid(get, "neurons", "old", "spec.role"), message="old reported")
    wait_for(lambda: warnings(cluster, "Neuron", "old"), message="Warning Event on old")
    # the twin looks again (a label edit triggers it): the undecodable Neuron still holds the hotkey
    twin = get("neurons", NS, "twin")
    apply(neuron(name="twin", labels={"poke": "1"}, wallet={"hotkeySecret": "old-hotkey", "generateHotkey": False}))
    wait_for(lambda: get("neurons", NS, "twin")["metadata"]["resourceVersion"] != twin["metadata"]["resourceVersion"]
             and cond_is(get("neurons", NS, "twin"), "HotkeyConflict", "True"), message="twin still in conflict")
    time.sleep(3)
    assert cond_is(get("neurons", NS, "twin"), "HotkeyConflict", "True"), get("neurons", NS, "twin")["status"]
    assert {k: (get(k, NS, n) or {}).get("metadata", {}).get("uid") for k, n in
            (("statefulsets", "old"), ("secrets", "old-wallet"), ("services", "old-axon"))} == children

    op.stop()
    op2 = start_operator()
    apply(neuron(name="after-restart"))
    wait_for(lambda: reconciled(get, "after-restart"), timeout=30, message="the restarted operator reconciles")
    time.sleep(2)
    assert len(warnings(cluster, "Neuron", "old")) == 1, "a relist published the Event again"
    assert decode_logs(op2, "old") == 1

    apply(neuron(name="old"))  # fixed
    wait_for(lambda: reconciled(get, "old"), timeout=30, message="old reconciles again")
    assert cond_is(get("neurons", NS, "twin"), "HotkeyConflict", "True")


def test_bad_subnet_and_bad_neuronset(cluster, start_operator, apply, get, wait_for):
    apply(subnet(name="sn21"))
    apply(subnet(name="sn-bad", network="mainnet"))
    apply(neuron(name="on-bad-subnet", subnet="sn-bad"))
    apply(neuronset(name="fleet", replicas=1))
    bad_set = neuronset(name="fleet-bad", replicas=1)
    bad_set["spec"]["replicas"] = "many"
    apply(bad_set)
    op = start_operator()

    wait_for(lambda: reconciled(get, "fleet-0"), timeout=30, message="the good NeuronSet's member")
    wait_for(lambda: (get("subnets", NS, "sn21").get("status") or {}).get("neurons", {}).get("total") == 1,
             message="the good Subnet's status")
    sn = wait_for(lambda: invalid(get, "subnets", "sn-bad", "spec.network"), message="sn-bad reported")
    assert "unknown variant `mainnet`" in condition(sn, "Ready")["message"]
    st = wait_for(lambda: invalid(get, "neuronsets", "fleet-bad", "spec.replicas"), message="fleet-bad reported")
    assert cond_is(st, "Progressing", "False", REASON), "the NeuronSet's printer column shows it too"
    wait_for(lambda: warnings(cluster, "Subnet", "sn-bad") and warnings(cluster, "NeuronSet", "fleet-bad"),
             message="Warning Events")
    time.sleep(3)
    assert members(cluster, "fleet-bad") == {}, "the undecodable set made members"
    assert get("statefulsets", NS, "on-bad-subnet") is None, "a Neuron of an unreadable Subnet got children"
    # The Neuron is blocked, and says why: its Subnet and the field.
    nrn = wait_for(lambda: cond_is(get("neurons", NS, "on-bad-subnet"), "InvalidSpec", "True")
                   and get("neurons", NS, "on-bad-subnet"), message="the Neuron names its Subnet")
    assert "Subnet \"sn-bad\" cannot be read (spec.network: unknown variant `mainnet`" in \
        condition(nrn, "InvalidSpec")["message"]
    assert len(warnings(cluster, "Subnet", "sn-bad")) == 1 and len(warnings(cluster, "NeuronSet", "fleet-bad")) == 1

    apply(subnet(name="sn-bad", network="test"))
    apply(neuronset(name="fleet-bad", replicas=1))
    wait_for(lambda: (c := condition(get("subnets", NS, "sn-bad"), "Ready")) and c["reason"] != REASON,
             message="the fixed Subnet's own conditions")
    wait_for(lambda: reconciled(get, "fleet-bad-0"), timeout=30, message="the fixed NeuronSet's member")
    wait_for(lambda: (c := condition(get("neuronsets", NS, "fleet-bad"), "Progressing")) and c["reason"] != REASON,
             message="the fixed NeuronSet's own conditions")
    wait_for(lambda: reconciled(get, "on-bad-subnet"), timeout=30, message="the Neuron of the fixed Subnet")
