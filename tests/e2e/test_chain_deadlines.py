"""Health that follows the chain (issue 14): a threshold crossed by block progress alone is acted
on within one poll interval, thresholds derived from the subnet, pruning risk and the end of
immunity. The fake chain makes blocks only when told (`chain.advance`), and nothing but the
block moves between polls here: no figure of the Neuron changes, so only the deadline can wake
it (the resync is 300 s, far beyond these waits)."""

import time

from bittensor_wallet import Keypair

from checks import condition, events_for
from lifecycle_env import NETUID, TAO, metric, polled, replicas, setup, start_chain, status  # noqa: F401
from manifests import NS

POD = "miner-0-0"
POLL = 2  # pollIntervalSeconds of the test Subnet (lifecycle_env)


def acct(n):
    return Keypair(public_key=f"{n:02x}" * 32, ss58_format=42).ss58_address


def weights(get):
    return condition(get("neurons", NS, "miner-0"), "WeightsFresh") or {}


def reasons(cluster):
    return [e.get("reason") for e in events_for(cluster, "Neuron", "miner-0")]


def registered_with_pod(chain, apply, get, wait_for, kubelet_create_pod_for, **neuron_kw):
    setup(apply, chain, **neuron_kw)
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered")
    kubelet_create_pod_for(get("statefulsets", NS, "miner-0"))
    wait_for(lambda: (status(get).get("pod") or {}).get("name") == POD, timeout=20, message="pod in status")
    return status(get)["hotkey"]


def test_stale_weights_restart_within_a_poll_of_the_crossing(cluster, start_chain, operator, apply, get,
                                                            wait_for, kubelet_create_pod_for):
    """The issue's case: maxWeightAgeBlocks 5, maxRestartsPerHour 1, weights never set again."""
    chain = start_chain(burn=TAO // 10)
    hotkey = registered_with_pod(chain, apply, get, wait_for, kubelet_create_pod_for, role="validator",
                                 health={"maxWeightAgeBlocks": 5, "maxRestartsPerHour": 1})
    last = chain.advance(1)
    chain.set_figures(NETUID, hotkey, last_update=last)
    wait_for(lambda: f"set at block {last}," in weights(get).get("message", ""), timeout=20,
             message="WeightsFresh at the new last_update")
    assert weights(get)["status"] == "True"
    assert weights(get)["message"] == (f"weights set at block {last}, stale from block {last + 6} "
                                       "(maxWeightAgeBlocks 5)")

    # Five blocks: age 5, not stale; the pod stays through polls of each block.
    for _ in range(5):
        head = chain.advance(1)
        wait_for(lambda: polled(operator, chain, head), timeout=10, message=f"polled {head}")
    time.sleep(POLL + 1)
    assert get("pods", NS, POD) is not None, "age 5 is within maxWeightAgeBlocks 5"

    # The sixth block crosses the limit: the restart comes within a poll interval (+ a few s).
    crossed = chain.advance(1)
    t0 = time.monotonic()
    wait_for(lambda: get("pods", NS, POD) is None, timeout=POLL + 8, message="restart after the crossing")
    took = time.monotonic() - t0
    assert took <= POLL + 8, took
    st = wait_for(lambda: (s := status(get)).get("operatorRestarts", {}).get("count") == 1 and s,
                  timeout=20, message="restart recorded")
    assert st["operatorRestarts"]["lastReason"] == "WeightsStale"
    assert weights(get)["message"].startswith(f"weights set at block {last}, stale since block {crossed}")
    # Status figures match the block shown (written together, never one without the other).
    c = st["chain"]
    assert c["block"] >= crossed and c["blocksSinceLastUpdate"] == c["block"] - c["lastUpdate"], c

    # The hourly cap (1) holds through many more blocks, each polled.
    kubelet_create_pod_for(get("statefulsets", NS, "miner-0"))
    for _ in range(5):
        head = chain.advance(3)
        wait_for(lambda: polled(operator, chain, head), timeout=10, message=f"polled {head}")
    wait_for(lambda: "maxRestartsPerHour (1) reached" in weights(get).get("message", ""), timeout=20,
             message="hourly cap shown")
    time.sleep(POLL + 1)
    assert get("pods", NS, POD) is not None and status(get)["operatorRestarts"]["count"] == 1
    c = status(get)["chain"]
    assert c["blocksSinceLastUpdate"] == c["block"] - c["lastUpdate"], c


def test_the_limit_is_derived_from_the_subnet_and_follows_its_tempo(cluster, start_chain, operator, apply,
                                                                   get, wait_for, kubelet_create_pod_for):
    """maxWeightAgeBlocks unset: half the activity cutoff (HEAD derives the cutoff from tempo:
    13 889 per mille × tempo / 1000), never under the weights rate limit + 1."""
    chain = start_chain(burn=TAO // 10, tempo=360, activity_cutoff=5000, weights_rate_limit=10)
    hotkey = registered_with_pod(chain, apply, get, wait_for, kubelet_create_pod_for, role="validator")
    last = chain.advance(1)
    chain.set_figures(NETUID, hotkey, last_update=last)
    derived = "derived: half the subnet's activity cutoff of"
    wait_for(lambda: f"(2500 blocks, {derived} 5000)" in weights(get).get("message", ""), timeout=20,
             message="limit derived at tempo 360")
    assert weights(get)["status"] == "True"

    # The owner moves to tempo 36 (cutoff 500): the limit follows without any edit of the Neuron.
    chain.set_subnet(NETUID, tempo=36, activity_cutoff=500)
    wait_for(lambda: f"(250 blocks, {derived} 500)" in weights(get).get("message", ""), timeout=20,
             message="limit derived at tempo 36")
    head = chain.advance(250)
    wait_for(lambda: polled(operator, chain, head), timeout=10, message="polled")
    time.sleep(POLL + 1)
    assert get("pods", NS, POD) is not None, "age 250 is within the derived 250"
    chain.advance(1)
    wait_for(lambda: get("pods", NS, POD) is None, timeout=POLL + 8, message="restart at the derived limit")
    assert status(get)["operatorRestarts"]["lastReason"] == "WeightsStale"

    # 0 turns the check off.
    n = get("neurons", NS, "miner-0")
    n.pop("status")
    n["spec"]["health"] = {"maxWeightAgeBlocks": 0}
    apply(n)
    wait_for(lambda: weights(get) == {}, timeout=20, message="WeightsFresh gone when off")


def test_at_risk_after_immunity_on_a_full_subnet(cluster, start_chain, operator, apply, get, wait_for,
                                                kubelet_create_pod_for):
    """Four uids, all taken; ours emits least. Immune for 20 blocks, then AtRisk with a Warning
    Event, the ImmunityEnded Event and the metric; a better emission clears it."""
    chain = start_chain(burn=TAO // 10, max_allowed_uids=4, immunity_period=20)
    others = [acct(40 + i) for i in range(3)]
    for i, hk in enumerate(others):
        chain.register(NETUID, hk)
        chain.set_figures(NETUID, hk, emission=1000 * (i + 1), registered_at_block=0)
    hotkey = registered_with_pod(chain, apply, get, wait_for, kubelet_create_pod_for)
    n = wait_for(lambda: (c := condition(get("neurons", NS, "miner-0"), "AtRisk")) and c, timeout=20,
                 message="AtRisk shown")
    registered_at = status(get)["registeredAtBlock"]
    assert (n["status"], n["reason"]) == ("False", "Immune"), n
    assert f"until block {registered_at + 20}" in n["message"], n

    now = chain.advance(1)
    assert now < registered_at + 20, (now, registered_at)
    head = chain.advance(registered_at + 20 - now)
    assert head == registered_at + 20
    c = wait_for(lambda: (x := condition(get("neurons", NS, "miner-0"), "AtRisk")) and x["status"] == "True"
                 and x, timeout=POLL + 8, message="AtRisk once immunity ended")
    assert c["reason"] == "LowestEmission" and "the lowest by emission of 4 non-immune uids" in c["message"], c
    wait_for(lambda: {"ImmunityEnded", "LowestEmission"} <= set(reasons(cluster)), timeout=20,
             message="ImmunityEnded and LowestEmission Events")
    assert metric(operator.metrics(), "tensorfleet_neuron_at_risk", namespace=NS, neuron="miner-0") == 1
    # Once each, not per poll.
    for _ in range(3):
        head = chain.advance(1)
        wait_for(lambda: polled(operator, chain, head), timeout=10, message="polled")
    time.sleep(POLL + 1)
    r = reasons(cluster)
    assert r.count("ImmunityEnded") == 1 and r.count("LowestEmission") == 1, r

    chain.set_figures(NETUID, hotkey, emission=10_000)
    wait_for(lambda: (x := condition(get("neurons", NS, "miner-0"), "AtRisk")) and x["reason"] == "AboveLowest",
             timeout=20, message="not at risk with a better emission")
    assert metric(operator.metrics(), "tensorfleet_neuron_at_risk", namespace=NS, neuron="miner-0") == 0


def test_commits_without_reveals_are_stale(cluster, start_chain, operator, apply, get, wait_for,
                                           kubelet_create_pod_for):
    """Under commit-reveal `last_update` moves at commit time; only a reveal writes the weights
    row. A validator that keeps committing but whose row never changes is stale once the row is
    older than the limit plus the reveal delay ((reveal period 1 + 1) × (tempo 10 + 1) = 22)."""
    chain = start_chain(burn=TAO // 10, tempo=10, commit_reveal_enabled=True, reveal_period_epochs=1)
    hotkey = registered_with_pod(chain, apply, get, wait_for, kubelet_create_pod_for, role="validator",
                                 health={"maxWeightAgeBlocks": 20, "maxRestartsPerHour": 2})
    set_at = chain.advance(1)
    chain.set_figures(NETUID, hotkey, last_update=set_at, weights=[[0, 65535]])  # a commit and a reveal
    wait_for(lambda: f"set at block {set_at}," in weights(get).get("message", ""), timeout=20,
             message="WeightsFresh at the commit")

    # Commit every 5 blocks, never reveal again: last_update stays fresh, the row does not move.
    deleted_at = None
    for _ in range(60):
        head = chain.advance(1)
        if head % 5 == 0:
            chain.set_figures(NETUID, hotkey, last_update=head)
        wait_for(lambda: polled(operator, chain, head), timeout=10, message=f"polled {head}")
        if get("pods", NS, POD) is None:
            deleted_at = head
            break
    assert deleted_at, "no restart in 60 blocks of commits without reveals"
    st = wait_for(lambda: (s := status(get)).get("operatorRestarts", {}).get("count") == 1 and s,
                  timeout=20, message="restart recorded")
    assert st["operatorRestarts"]["lastReason"] == "RevealsMissing"
    w = weights(get)
    assert (w["status"], w["reason"]) == ("False", "RevealsMissing"), w
    # "... no reveal has changed them since block S: stale since block X (..., plus the reveal
    # delay of 22 blocks)", X = S + 20 + 22 + 1, S no earlier than the row was written.
    since = int(w["message"].split("since block ")[1].split(":")[0])
    stale = int(w["message"].split("stale since block ")[1].split(" ")[0])
    assert "reveal delay of 22 blocks" in w["message"], w
    assert since >= set_at and stale == since + 43, (since, stale, w["message"])
    # Acted on at the crossing block (or the one after, if the poll raced the advance).
    assert stale <= deleted_at <= stale + 1, (stale, deleted_at)

    # A reveal lands: fresh again.
    kubelet_create_pod_for(get("statefulsets", NS, "miner-0"))
    head = chain.advance(1)
    chain.set_figures(NETUID, hotkey, last_update=head, weights=[[0, 30000]])
    wait_for(lambda: weights(get).get("status") == "True", timeout=20, message="fresh after a reveal")


def test_with_two_mechanisms_the_oldest_weights_count(cluster, start_chain, operator, apply, get, wait_for,
                                                      kubelet_create_pod_for):
    """A subnet with two incentive mechanisms: a validator sets weights on each. Fresh weights on
    mechanism 0 do not hide stale ones on mechanism 1."""
    chain = start_chain(burn=TAO // 10, mechanism_count=2, commit_reveal_enabled=False)
    hotkey = registered_with_pod(chain, apply, get, wait_for, kubelet_create_pod_for, role="validator",
                                 health={"maxWeightAgeBlocks": 10, "maxRestartsPerHour": 2})
    now = chain.advance(1)
    chain.set_figures(NETUID, hotkey, last_update=now, mechanism_last_update=[now])
    wait_for(lambda: f"set at block {now} on mechanism 0 (the oldest of 2)," in weights(get).get("message", ""),
             timeout=20, message="both mechanisms fresh")
    # Mechanism 0 keeps being set; mechanism 1 stops.
    for _ in range(4):
        head = chain.advance(3)
        chain.set_figures(NETUID, hotkey, last_update=head)
        wait_for(lambda: polled(operator, chain, head), timeout=10, message="polled")
    wait_for(lambda: get("pods", NS, POD) is None, timeout=POLL + 8, message="restart for mechanism 1")
    w = weights(get)
    assert w["reason"] == "WeightsStale" and f"block {now} on mechanism 1 (the oldest of 2)" in w["message"], w
