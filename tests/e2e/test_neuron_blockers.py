"""What keeps a Neuron from running, reported as conditions and Events (API.md, issue 2)."""

import json
import time

from checks import cond_is, condition, events_for
from manifests import NS, neuron, secret, subnet


def status(get, name="miner-0"):
    return (get("neurons", NS, name) or {}).get("status") or {}


def test_missing_subnet_then_created(cluster, operator, apply, get, wait_for):
    apply(neuron(subnet="sn-later"))
    nrn = wait_for(lambda: cond_is(n := get("neurons", NS, "miner-0"), "SubnetNotFound", "True") and n,
                   message="SubnetNotFound=True")
    assert cond_is(nrn, "Ready", "False")
    assert nrn["status"]["phase"] == "Pending"
    assert "sn-later" in condition(nrn, "SubnetNotFound")["message"]
    sts = get("statefulsets", NS, "miner-0")
    assert sts is None or sts["spec"]["replicas"] == 0
    # the Subnet appearing later is picked up through the watch, without touching the Neuron
    apply(subnet(name="sn-later"))
    wait_for(lambda: not cond_is(get("neurons", NS, "miner-0"), "SubnetNotFound", "True"),
             message="SubnetNotFound cleared once the Subnet exists")
    wait_for(lambda: get("statefulsets", NS, "miner-0"), message="StatefulSet after the Subnet appeared")


def test_hotkey_conflict_newer_neuron_gets_no_pod(cluster, operator, apply, get, wait_for):
    apply(subnet())
    apply(neuron(name="old", wallet={"hotkeySecret": "shared-hotkey"}))
    wait_for(lambda: get("secrets", NS, "shared-hotkey") and status(get, "old").get("hotkey"),
             message="older Neuron holds the hotkey")
    time.sleep(1.05)  # creationTimestamp has second resolution: make "newer" unambiguous
    apply(neuron(name="new", wallet={"hotkeySecret": "shared-hotkey"}))
    new = wait_for(lambda: cond_is(n := get("neurons", NS, "new"), "HotkeyConflict", "True") and n,
                   message="HotkeyConflict on the newer Neuron")
    assert "old" in condition(new, "HotkeyConflict")["message"]
    assert cond_is(new, "Ready", "False")
    sts = get("statefulsets", NS, "new")
    assert sts is None or sts["spec"]["replicas"] == 0
    old = get("neurons", NS, "old")
    assert not cond_is(old, "HotkeyConflict", "True")
    assert get("statefulsets", NS, "old") is not None
    # once the holder is gone (and the GC has taken its children), the newer Neuron takes over
    cluster.delete("neurons", NS, "old")
    wait_for(lambda: not cluster.gc() and not cond_is(get("neurons", NS, "new"), "HotkeyConflict", "True")
             and get("statefulsets", NS, "new"), message="newer Neuron proceeds after the holder is deleted")


def test_invalid_spec_gets_condition_and_event(cluster, operator, apply, get, wait_for):
    apply(subnet())
    # passes the CRD schema (no enum on imagePullPolicy; the pattern allows any digits) but not the operator
    apply(neuron(imagePullPolicy="Sometimes", registration={"maxBurnTao": "99999999999999999999"}))
    nrn = wait_for(lambda: cond_is(n := get("neurons", NS, "miner-0"), "InvalidSpec", "True") and n,
                   message="InvalidSpec=True")
    msg = condition(nrn, "InvalidSpec")["message"]
    assert "imagePullPolicy" in msg and "maxBurnTao" in msg, msg
    assert nrn["status"]["phase"] == "Failed" and cond_is(nrn, "Ready", "False")
    assert nrn["status"]["observedGeneration"] == nrn["metadata"]["generation"]
    evs = wait_for(lambda: [e for e in events_for(cluster, "Neuron", "miner-0")
                            if e.get("type") == "Warning" and e.get("reason") == "InvalidSpec"],
                   message="Warning Event InvalidSpec")
    assert evs[0]["regarding"]["uid"] == nrn["metadata"]["uid"]
    sts = get("statefulsets", NS, "miner-0")
    assert sts is None or sts["spec"]["replicas"] == 0
    # fixing the spec clears it
    apply(neuron())
    wait_for(lambda: not cond_is(get("neurons", NS, "miner-0"), "InvalidSpec", "True"),
             message="InvalidSpec cleared after the fix")


def test_malformed_hotkey_secret_is_reported_without_its_contents(cluster, operator, apply, get, wait_for):
    bad_seed = "0x" + "ab" * 20  # 20 bytes, not 32
    apply(subnet())
    apply(secret("bad-hotkey", {"seed": bad_seed}))
    apply(neuron(wallet={"hotkeySecret": "bad-hotkey"}))
    nrn = wait_for(lambda: (n := get("neurons", NS, "miner-0")) and cond_is(n, "Ready", "False")
                   and any(c["status"] == "True" and "bad-hotkey" in c["message"]
                           for c in n["status"]["conditions"]) and n,
                   message="a True condition naming the bad Secret")
    evs = wait_for(lambda: [e for e in events_for(cluster, "Neuron", "miner-0") if e.get("type") == "Warning"],
                   message="Warning Event")
    assert nrn["status"].get("phase") in ("Failed", "Pending")
    assert cluster.history("secrets", NS, "bad-hotkey")[-1] is not None, "the user's Secret was deleted"
    for text in (json.dumps(nrn["status"]), json.dumps(evs), operator.text()):
        assert "ab" * 20 not in text
    sts = get("statefulsets", NS, "miner-0")
    assert sts is None or sts["spec"]["replicas"] == 0


def test_suspend_scales_to_zero_and_reports_suspended(cluster, operator, apply, get, wait_for):
    apply(subnet())
    apply(neuron(suspend=True))
    nrn = wait_for(lambda: (n := get("neurons", NS, "miner-0")).get("status", {}).get("phase") == "Suspended" and n,
                   message="phase Suspended")
    assert cond_is(nrn, "Ready", "False", "Suspended")
    assert get("statefulsets", NS, "miner-0")["spec"]["replicas"] == 0
    apply(neuron(suspend=False))
    wait_for(lambda: status(get).get("phase") not in (None, "Suspended"), message="phase leaves Suspended")


def test_neuron_that_becomes_invalid_loses_its_pod_and_keeps_its_hotkey(cluster, operator, apply, get, wait_for):
    apply(subnet())
    apply(neuron())
    wait_for(lambda: get("statefulsets", NS, "miner-0") and get("services", NS, "miner-0-axon"),
             message="children of the valid Neuron")
    hotkey = wait_for(lambda: status(get).get("hotkey"), message="hotkey")
    apply(neuron(imagePullPolicy="Sometimes"))
    wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "InvalidSpec", "True"), message="InvalidSpec")
    wait_for(lambda: (s := get("statefulsets", NS, "miner-0")) is None or s["spec"]["replicas"] == 0,
             message="no pod for an invalid Neuron")
    assert get("secrets", NS, "miner-0-hotkey") is not None
    apply(neuron())
    wait_for(lambda: get("statefulsets", NS, "miner-0") and not cond_is(get("neurons", NS, "miner-0"),
                                                                       "InvalidSpec", "True"),
             message="children back after the fix")
    assert status(get)["hotkey"] == hotkey


def test_hotkey_conflict_across_namespaces(cluster, operator, apply, get, wait_for):
    """One pod per hotkey cluster-wide: the same key under another Secret name in another
    namespace is still the same hotkey (issue 13)."""
    other = "validators"
    apply(subnet())
    apply(neuron(name="old", wallet={"hotkeySecret": "shared-hotkey"}))
    wait_for(lambda: get("secrets", NS, "shared-hotkey") and status(get, "old").get("hotkey"),
             message="older Neuron holds the hotkey")
    hotkey = status(get, "old")["hotkey"]
    time.sleep(1.05)  # creationTimestamp has second resolution
    copy = get("secrets", NS, "shared-hotkey")
    apply({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
           "metadata": {"name": "my-key", "namespace": other}, "data": copy["data"]})
    apply({**subnet(), "metadata": {"name": "sn21", "namespace": other}})
    n = neuron(name="new", wallet={"hotkeySecret": "my-key"})
    n["metadata"]["namespace"] = other
    apply(n)
    new = wait_for(lambda: cond_is(x := get("neurons", other, "new"), "HotkeyConflict", "True") and x,
                   message="HotkeyConflict on the newer Neuron in the other namespace")
    msg = condition(new, "HotkeyConflict")["message"]
    assert f"{NS}/old" in msg and hotkey in msg, msg
    sts = get("statefulsets", other, "new")
    assert sts is None or sts["spec"]["replicas"] == 0
    assert not cond_is(get("neurons", NS, "old"), "HotkeyConflict", "True")
    # the holder goes: the other namespace's Neuron takes the hotkey
    cluster.delete("neurons", NS, "old")
    wait_for(lambda: get("neurons", NS, "old") is None, timeout=20, message="the holder gone")
    wait_for(lambda: not cond_is(get("neurons", other, "new"), "HotkeyConflict", "True"), timeout=20,
             message="conflict cleared once the holder is gone")
