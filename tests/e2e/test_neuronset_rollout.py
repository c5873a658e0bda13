"""NeuronSet rolling updates and replacement of deregistered members, against the fake chain.

Members' hotkeys are registered through the fake chain's admin API (as someone else would:
the registration executor is not part of this branch); the test acts as the StatefulSet
controller and kubelet (`roll_pod`), since the emulator runs no controllers."""

import time

import pytest

from checks import cond_is, condition, events_for
from ledger_env import resolve, spend
from manifests import NS, subnet
from neuronsets import TAO, image_of, members, neuronset, roll_pod, set_status

NETUID = 21


@pytest.fixture
def chain(start_chain):
    return start_chain({"head": 1000, "subnets": {str(NETUID): {"burn": TAO}}})


def chain_subnet(chain):
    return subnet(netuid=NETUID, endpoints=(chain.endpoint,), pollIntervalSeconds=2)


def hotkey(get, name):
    return ((get("neurons", NS, name) or {}).get("status") or {}).get("hotkey")


def register_all(chain, get, wait_for, names):
    wait_for(lambda: all(hotkey(get, n) for n in names), message="members' hotkeys")
    for n in names:
        chain.register(NETUID, hotkey(get, n))
    wait_for(lambda: all(get("statefulsets", NS, n)["spec"]["replicas"] == 1 for n in names),
             timeout=30, message="registered members get a pod")


def first_version_with(cluster, name, image):
    """resourceVersion (global order) of the first stored version of `name` with `image`."""
    for v in cluster.history("neurons", NS, name):
        if v is not None and image_of(v) == image:
            return int(v["metadata"]["resourceVersion"])
    return None


def test_image_change_rolls_one_member_at_a_time_and_pauses_on_an_unready_one(
        cluster, chain, operator, apply, get, wait_for):
    apply(chain_subnet(chain))
    apply(neuronset(replicas=3, image="img:v1"))
    names = ["fleet-0", "fleet-1", "fleet-2"]
    wait_for(lambda: sorted(members(cluster)) == names, message="three members")
    register_all(chain, get, wait_for, names)
    for n in names:
        roll_pod(cluster, n)
    wait_for(lambda: cond_is(get("neuronsets", NS, "fleet"), "Ready", "True"), timeout=30,
             message="set Ready")
    assert set_status(get)["readyReplicas"] == 3 and set_status(get)["registeredReplicas"] == 3

    def images():
        return [image_of(get("neurons", NS, n)) for n in names]

    apply(neuronset(replicas=3, image="img:v2"))
    wait_for(lambda: images()[0] == "img:v2", message="fleet-0 updated first")
    wait_for(lambda: get("statefulsets", NS, "fleet-0")["spec"]["template"]["spec"]["containers"][0]["image"]
             == "img:v2", message="fleet-0's StatefulSet on the new image")
    time.sleep(3)  # the old pod is still Ready: the set must wait for the new one regardless
    assert images() == ["img:v2", "img:v1", "img:v1"]
    assert cond_is(get("neuronsets", NS, "fleet"), "Progressing", "False", "RolloutPaused")

    roll_pod(cluster, "fleet-0", ready=True)
    wait_for(lambda: images()[1] == "img:v2", timeout=20, message="fleet-1 updated once fleet-0 is Ready")
    assert images()[2] == "img:v1"
    wait_for(lambda: get("statefulsets", NS, "fleet-1")["spec"]["template"]["spec"]["containers"][0]["image"]
             == "img:v2", message="fleet-1's StatefulSet on the new image")

    # fleet-1's new pod never becomes Ready: the rollout pauses on it and says so
    roll_pod(cluster, "fleet-1", ready=False)
    nrs = wait_for(lambda: (s := get("neuronsets", NS, "fleet"))
                   and cond_is(s, "Progressing", "False", "RolloutPaused")
                   and "ordinal(s) 1 " in condition(s, "Progressing")["message"] and s,
                   timeout=20, message="RolloutPaused on ordinal 1")
    assert "1 member(s) on an old template" in condition(nrs, "Progressing")["message"]
    time.sleep(7)  # longer than the set's requeue while unsettled
    assert images() == ["img:v2", "img:v2", "img:v1"], "the rollout marched past an unready member"
    assert any(e.get("reason") == "RolloutPaused" for e in events_for(cluster, "NeuronSet", "fleet"))
    assert cond_is(get("neuronsets", NS, "fleet"), "Ready", "False")

    roll_pod(cluster, "fleet-1", ready=True)
    wait_for(lambda: images()[2] == "img:v2", timeout=20, message="fleet-2 updated once fleet-1 is Ready")
    wait_for(lambda: get("statefulsets", NS, "fleet-2")["spec"]["template"]["spec"]["containers"][0]["image"]
             == "img:v2", message="fleet-2's StatefulSet on the new image")
    roll_pod(cluster, "fleet-2", ready=True)
    wait_for(lambda: cond_is(get("neuronsets", NS, "fleet"), "Progressing", "False", "Complete")
             and cond_is(get("neuronsets", NS, "fleet"), "Ready", "True"), timeout=20,
             message="rollout Complete and set Ready")
    order = [first_version_with(cluster, n, "img:v2") for n in names]
    assert order == sorted(order), f"members updated out of ordinal order: {order}"
    assert set_status(get)["updatedReplicas"] == 3


def test_deregistered_member_is_replaced_with_a_fresh_hotkey(cluster, chain, operator, apply, get, wait_for):
    apply(chain_subnet(chain))
    apply(neuronset(replicas=2, replace_deregistered=True, budget="5"))
    names = ["fleet-0", "fleet-1"]
    wait_for(lambda: sorted(members(cluster)) == names, message="two members")
    register_all(chain, get, wait_for, names)
    old = get("neurons", NS, "fleet-1")
    old_hotkey = old["status"]["hotkey"]
    keep = get("neurons", NS, "fleet-0")["metadata"]["uid"]
    # the registration spend as the executor records it in the ledger
    resolve(cluster, cluster.apply(spend("fleet-1", 0, TAO, neuron_set="fleet", hotkey=old_hotkey)), TAO)
    wait_for(lambda: set_status(get).get("spentRao") == TAO, message="spend in the ledger")

    chain.deregister(NETUID, old_hotkey)
    new = wait_for(lambda: (n := get("neurons", NS, "fleet-1")) and n["metadata"]["uid"] != old["metadata"]["uid"]
                   and (n.get("status") or {}).get("hotkey") and n, timeout=30,
                   message="fleet-1 replaced and given a hotkey")
    assert new["status"]["hotkey"] != old_hotkey
    secret = get("secrets", NS, "fleet-1-hotkey")
    assert secret["metadata"]["labels"]["tensorfleet.io/generated"] == "true"
    assert any(e.get("reason") == "MemberReplaced" for e in events_for(cluster, "NeuronSet", "fleet"))
    assert get("neurons", NS, "fleet-0")["metadata"]["uid"] == keep, "the registered member was touched"
    # the replaced member's spend stays counted
    assert set_status(get)["spentRao"] == TAO
    assert [s["spec"]["hotkey"] for s in cluster.list("spends", NS)] == [old_hotkey]

    # the fresh hotkey registers (externally here) and runs
    chain.register(NETUID, new["status"]["hotkey"])
    wait_for(lambda: get("statefulsets", NS, "fleet-1")["spec"]["replicas"] == 1, timeout=30,
             message="the replacement gets its pod")


def test_deregistered_member_stays_without_replace(cluster, chain, operator, apply, get, wait_for):
    apply(chain_subnet(chain))
    apply(neuronset(replicas=1))
    register_all(chain, get, wait_for, ["fleet-0"])
    before = get("neurons", NS, "fleet-0")
    chain.deregister(NETUID, before["status"]["hotkey"])
    wait_for(lambda: get("neurons", NS, "fleet-0")["status"]["phase"] == "Deregistered", timeout=30,
             message="fleet-0 Deregistered")
    wait_for(lambda: get("statefulsets", NS, "fleet-0")["spec"]["replicas"] == 0, message="pod at zero")
    time.sleep(6)
    after = get("neurons", NS, "fleet-0")
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert after["status"]["phase"] == "Deregistered"
    assert after["status"]["hotkey"] == before["status"]["hotkey"]
    assert not after["spec"]["registration"]["reregister"], "a member re-registering its old hotkey"
    assert not any(r.resource == "secrets" and r.verb == "delete" for r in cluster.requests)
