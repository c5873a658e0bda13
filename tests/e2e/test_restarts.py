"""Stale validator weights → the operator deletes the pod (the StatefulSet would recreate it),
with exponential backoff and at most maxRestartsPerHour. Time is simulated by ageing the recorded
restarts in status (the test acts as an admin editing status)."""

import datetime

from checks import condition, events_for
from cluster import WaitTimeout
from lifecycle_env import polled, NETUID, TAO, metric, replicas, setup, start_chain, status  # noqa: F401
from manifests import NS

POD = "miner-0-0"


def age_restarts(cluster, minutes):
    st = cluster.get("neurons", NS, "miner-0")["status"]
    r = st["operatorRestarts"]

    def back(t):
        at = datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
        return (at - datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    r["recent"] = [back(t) for t in r["recent"]]
    r["lastAt"] = back(r["lastAt"])
    cluster.set_status("neurons", NS, "miner-0", st)


def weights(get):
    return condition(get("neurons", NS, "miner-0"), "WeightsFresh") or {}


def test_stale_weights_restart_with_backoff_and_hourly_cap(cluster, start_chain, operator, apply, get,
                                                         wait_for, kubelet_create_pod_for):
    chain = start_chain(burn=TAO // 10)
    setup(apply, chain, role="validator", health={"maxWeightAgeBlocks": 10, "maxRestartsPerHour": 2})
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered")
    hotkey = status(get)["hotkey"]
    chain.set_figures(NETUID, hotkey, last_update=1000)
    kubelet_create_pod_for(get("statefulsets", NS, "miner-0"))
    wait_for(lambda: (status(get).get("pod") or {}).get("name") == POD, timeout=20, message="pod in status")
    wait_for(lambda: weights(get).get("status") == "True", timeout=20, message="WeightsFresh True")

    chain.advance(20)  # 20 blocks since the last weights > 10
    wait_for(lambda: get("pods", NS, POD) is None, timeout=30, message="first restart")
    st = wait_for(lambda: (s := status(get)).get("operatorRestarts", {}).get("count") == 1 and s, timeout=20,
                  message="restart recorded")
    assert st["operatorRestarts"]["lastReason"] == "WeightsStale"
    wait_for(lambda: "PodRestarted" in [e.get("reason") for e in events_for(cluster, "Neuron", "miner-0")],
             timeout=20, message="PodRestarted Event")
    assert metric(operator.metrics(), "tensorfleet_operator_restarts_total", namespace=NS, neuron="miner-0",
                  reason="WeightsStale") == 1

    # the StatefulSet's new pod; still stale, but within the 5 min backoff: left alone
    kubelet_create_pod_for(get("statefulsets", NS, "miner-0"))
    wait_for(lambda: "next restart not before" in weights(get).get("message", ""), timeout=30,
             message="backoff reported")
    head = chain.advance(2)
    wait_for(lambda: polled(operator, chain, head), timeout=20,
             message="polled")
    assert get("pods", NS, POD) is not None and status(get)["operatorRestarts"]["count"] == 1

    # 6 minutes later (simulated): backoff over → second restart
    for _ in range(6):  # the operator's own status write may race with the edit: repeat
        age_restarts(cluster, 6)
        try:
            wait_for(lambda: get("pods", NS, POD) is None, timeout=5, message="second restart")
            break
        except WaitTimeout:
            continue
    assert get("pods", NS, POD) is None, "second restart after the backoff"
    wait_for(lambda: status(get)["operatorRestarts"]["count"] == 2, timeout=20, message="count 2")

    # 20 minutes later: both restarts within the hour → maxRestartsPerHour (2) reached
    kubelet_create_pod_for(get("statefulsets", NS, "miner-0"))
    age_restarts(cluster, 20)
    wait_for(lambda: "maxRestartsPerHour (2) reached" in weights(get).get("message", ""), timeout=30,
             message="hourly cap")
    assert get("pods", NS, POD) is not None and status(get)["operatorRestarts"]["count"] == 2

    # fresh weights again
    chain.set_figures(NETUID, hotkey, last_update=chain.advance(1))
    wait_for(lambda: weights(get).get("status") == "True", timeout=30, message="WeightsFresh again")
