"""Chain-health-gated rollouts (issue 16): a good canary proceeds, a regressing one is rolled back,
a crash-looping one stops the rollout, a malformed spec.rollout becomes a condition.

The fake chain makes an epoch every 3 s; `FleetDriver` (canary_env.py) plays the StatefulSet
controller and kubelet, and sets each member's incentive at every epoch from the image its pod
runs. Members' hotkeys are registered through the fake chain's admin API."""

import re
import time

import pytest
import yaml

from canary_env import (BLOCK_MS, NETUID, FleetDriver, blocks_since_epoch, canary_set, genesis,
                        images, images_ever, rollout_status)
from checks import cond_is, condition, events_for
from lifecycle_env import metric
from manifests import NS, subnet
from neuronsets import kubectl, members, set_status
from operator_proc import REPO

NAMES = ["fleet-0", "fleet-1", "fleet-2"]
WINDOW = 6  # canary_set's restartWindowBlocks


@pytest.fixture
def chain(start_chain):
    return start_chain(genesis(), block_ms=BLOCK_MS)


def hotkey(get, name):
    return ((get("neurons", NS, name) or {}).get("status") or {}).get("hotkey")


def incentive(get, name):
    return (((get("neurons", NS, name) or {}).get("status") or {}).get("chain") or {}).get("incentive") or 0


def fleet_on_v1(cluster, chain, apply, get, wait_for):
    """Three registered, Ready members on img:v1, each having earned at least once."""
    apply(subnet(netuid=NETUID, endpoints=(chain.endpoint,), pollIntervalSeconds=2))
    apply(canary_set("img:v1"))
    wait_for(lambda: sorted(members(cluster)) == NAMES and all(hotkey(get, n) for n in NAMES),
             message="three members with hotkeys")
    for n in NAMES:
        chain.register(NETUID, hotkey(get, n))
    wait_for(lambda: cond_is(get("neuronsets", NS, "fleet"), "Ready", "True")
             and rollout_status(get).get("step") == "Complete"
             and all(incentive(get, n) > 0 for n in NAMES), timeout=40,
             message="set Ready on v1, every member earning")
    return rollout_status(get)["stable"]["revision"]


def revision_of(get, name):
    return get("neurons", NS, name)["metadata"]["annotations"]["tensorfleet.io/template-hash"]


def restarts_logged(cluster):
    """(what, ordinals, block, blocks after the epoch) of every restart the set announced, in
    the order announced (the block is the operator's chain view, so two may share one)."""
    seen = []
    for v in cluster.history("neuronsets", NS, "fleet"):
        c = condition(v or {}, "Progressing") or {}
        for m in re.finditer(r"updating (canary|batch) ordinal\(s\) ([\d, ]+) at block (\d+), (\d+) block",
                             c.get("message", "")):
            r = (m.group(1), m.group(2), int(m.group(3)), int(m.group(4)))
            if r not in seen:
                seen.append(r)
    return seen


def first_version_with(cluster, name, image):
    for v in cluster.history("neurons", NS, name):
        if v is not None and v["spec"]["image"] == image:
            return int(v["metadata"]["resourceVersion"])
    return None


def reasons(cluster):
    return [e.get("reason") for e in events_for(cluster, "NeuronSet", "fleet")]


def test_a_good_canary_soaks_and_the_rest_follow_in_epoch_windows(cluster, chain, operator, apply, get, wait_for):
    with FleetDriver(cluster, chain, {"img:v1": 0.10, "img:v2": 0.102}) as driver:
        old = fleet_on_v1(cluster, chain, apply, get, wait_for)
        apply(canary_set("img:v2"))
        wait_for(lambda: rollout_status(get).get("step") == "Soaking", timeout=30, message="canary soaking")
        st = rollout_status(get)
        assert st["canaries"] == [0] and images(get, NAMES) == ["img:v2", "img:v1", "img:v1"]
        soak_until = st["soakUntilBlock"]
        time.sleep(1)
        assert images(get, NAMES)[1:] == ["img:v1", "img:v1"], "a member moved before the verdict"
        wait_for(lambda: rollout_status(get).get("step") == "Complete", timeout=60, message="rollout complete")
        assert not driver.errors, driver.errors

    st = rollout_status(get)
    c = st["lastComparison"]
    assert (c["result"], c["metric"], c["baselineSource"], c["peers"]) == ("Passed", "Incentive", "Peers", 2), c
    assert c["block"] >= soak_until, "judged before the soak's epochs had run"
    assert abs(c["baseline"] - 0.10) < 0.002 and float(c["drop"].rstrip("%")) < 5, c
    new = revision_of(get, "fleet-0")
    assert new != old and st["stable"]["revision"] == new and st["updateRevision"] == new
    assert st["revisions"] == [{"revision": new, "image": "img:v2", "ordinals": [0, 1, 2]}]
    order = [first_version_with(cluster, n, "img:v2") for n in NAMES]
    assert order == sorted(order), f"members updated out of ordinal order: {order}"

    restarts = restarts_logged(cluster)
    assert [r[:2] for r in restarts] == [("canary", "0"), ("batch", "1"), ("batch", "2")], restarts
    for what, ordinal, block, after in restarts:
        assert after == blocks_since_epoch(block) and after <= WINDOW, (what, ordinal, block, after)
    assert {"CanaryStarted", "CanaryPassed", "RolloutComplete"} <= set(reasons(cluster))
    assert "CanaryRegressed" not in reasons(cluster)

    # the printer columns, evaluated by kubectl from the CRD's jsonPaths (the emulator serves no
    # server-side Table)
    crd = yaml.safe_load((REPO / "crds" / "neuronsets.yaml").read_text())
    cols = {col["name"]: kubectl(cluster, "get", "nrs/fleet", "-o", f"jsonpath={{{col['jsonPath']}}}")
            for col in crd["spec"]["versions"][0]["additionalPrinterColumns"]}
    assert (cols["Updated"], cols["Rollout"], cols["Canary"]) == ("3", "Complete", "Passed"), cols
    assert (cols["Drop"], cols["Revision"]) == (c["drop"], new), cols


def test_a_regressing_canary_is_rolled_back_and_the_rollout_paused(cluster, chain, operator, apply, get, wait_for):
    with FleetDriver(cluster, chain, {"img:v1": 0.10, "img:v3": 0.04, "img:v4": 0.10}) as driver:
        old = fleet_on_v1(cluster, chain, apply, get, wait_for)
        apply(canary_set("img:v3"))
        nrs = wait_for(lambda: (s := get("neuronsets", NS, "fleet"))
                       and cond_is(s, "RolloutPaused", "True", "CanaryRegressed") and s,
                       timeout=45, message="RolloutPaused CanaryRegressed")
        msg = condition(nrs, "RolloutPaused")["message"]
        for want in ("Incentive of canary ordinal(s) 0", "of 2 member(s) on the previous revision",
                     "maxDrop 20.0%", f"rolled back ordinal(s) 0 to revision {old}"):
            assert want in msg, (want, msg)
        c = rollout_status(get)["lastComparison"]
        assert c["result"] == "Regressed" and float(c["drop"].rstrip("%")) > 50, c
        assert cond_is(nrs, "Progressing", "False", "RolloutPaused")
        wait_for(lambda: images(get, NAMES) == ["img:v1"] * 3 and revision_of(get, "fleet-0") == old,
                 message="fleet-0 back on the previous template")
        assert images_ever(cluster, "fleet-1") == images_ever(cluster, "fleet-2") == {"img:v1"}
        ev = [e for e in events_for(cluster, "NeuronSet", "fleet") if e.get("reason") == "CanaryRegressed"]
        assert ev and ev[0]["type"] == "Warning" and "drop" in (ev[0].get("note") or "")
        assert metric(operator.metrics(), "tensorfleet_neuronset_rollbacks_total", namespace=NS,
                      neuronset="fleet", reason="CanaryRegressed") == 1

        # paused: the next epochs and resyncs change nothing
        wait_for(lambda: set_status(get).get("readyReplicas") == 3, timeout=20,
                 message="the rolled-back member Ready again")
        # Ready stays False: the members run the previous template, not spec.template
        assert cond_is(get("neuronsets", NS, "fleet"), "Ready", "False")
        time.sleep(4)  # more than an epoch
        assert images(get, NAMES) == ["img:v1"] * 3
        assert rollout_status(get)["step"] == "Paused"

        # a spec change resumes, with a fresh canary
        apply(canary_set("img:v4"))
        wait_for(lambda: images(get, NAMES)[0] == "img:v4"
                 and cond_is(get("neuronsets", NS, "fleet"), "RolloutPaused", "False"),
                 timeout=30, message="resumed on img:v4")
        assert "RolloutResumed" in reasons(cluster)
        assert not driver.errors, driver.errors


def test_a_crash_looping_canary_stops_the_rollout_at_once(cluster, chain, operator, apply, get, wait_for):
    with FleetDriver(cluster, chain, {"img:v1": 0.10}, crash={"img:v5"}) as driver:
        old = fleet_on_v1(cluster, chain, apply, get, wait_for)
        applied = time.monotonic()
        apply(canary_set("img:v5"))  # progressDeadlineSeconds 120: the crash loop must not wait for it
        nrs = wait_for(lambda: (s := get("neuronsets", NS, "fleet"))
                       and cond_is(s, "RolloutPaused", "True", "CanaryCrashLooping") and s,
                       timeout=30, message="RolloutPaused CanaryCrashLooping")
        assert time.monotonic() - applied < 30
        assert "crash-loop" in condition(nrs, "RolloutPaused")["message"]
        assert "lastComparison" not in rollout_status(get), "no chain verdict was waited for"
        wait_for(lambda: revision_of(get, "fleet-0") == old and set_status(get).get("readyReplicas") == 3,
                 timeout=30, message="fleet-0 back on the previous template and Ready")
        assert images_ever(cluster, "fleet-0") == {"img:v1", "img:v5"}
        assert images_ever(cluster, "fleet-1") == images_ever(cluster, "fleet-2") == {"img:v1"}
        assert "CanaryCrashLooping" in reasons(cluster)
        assert metric(operator.metrics(), "tensorfleet_neuronset_rollbacks_total", namespace=NS,
                      neuronset="fleet", reason="CanaryCrashLooping") == 1
        assert not driver.errors, driver.errors


BAD_ROLLOUTS = {
    "typo": ({"strategy": "canary"}, ["spec.rollout.strategy"]),
    "ranges": ({"strategy": "Canary", "canary": 0, "maxDrop": "0.2"}, ["spec.rollout.canary", "spec.rollout.maxDrop"]),
    "role": ({"strategy": "Canary", "metric": "Dividends"}, ["spec.rollout.metric"]),
}


def test_a_malformed_rollout_is_a_condition_and_an_event(cluster, operator, apply, get, wait_for):
    """Values only the CRD schema would refuse (the emulator stores them): each set changes
    nothing, says which field, and the operator keeps reconciling without a crash."""
    apply(subnet())
    for name in BAD_ROLLOUTS:
        apply(canary_set("img:v1", replicas=1, name=name))
    wait_for(lambda: len(cluster.list("neurons", NS)) == len(BAD_ROLLOUTS), message="one member per set")
    for name, (rollout, _) in BAD_ROLLOUTS.items():
        bad = canary_set("img:v2", replicas=1, name=name)
        bad["spec"]["rollout"] = rollout
        apply(bad)
    for name, (_, fields) in BAD_ROLLOUTS.items():
        nrs = wait_for(lambda: (s := get("neuronsets", NS, name)) and cond_is(s, "InvalidSpec", "True") and s,
                       message=f"{name}: InvalidSpec")
        msg = condition(nrs, "InvalidSpec")["message"]
        assert all(f in msg for f in fields), (name, msg)
        wait_for(lambda: any(e.get("reason") == "InvalidSpec" and e.get("type") == "Warning"
                             for e in events_for(cluster, "NeuronSet", name)), message=f"{name}: InvalidSpec Event")
    time.sleep(6)  # past the sets' requeue while unsettled
    assert images(get, [f"{n}-0" for n in BAD_ROLLOUTS]) == ["img:v1"] * len(BAD_ROLLOUTS)
    assert operator.proc.poll() is None
    assert "panicked" not in operator.log_path.read_text()
