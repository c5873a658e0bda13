"""Pod health from the kubelet: CrashLoopBackOff and image pull failures become PodReady False
with that reason, plus a Warning Event."""

from checks import cond_is, events_for
from lifecycle_env import TAO, replicas, setup, start_chain  # noqa: F401
from manifests import NS


def waiting(reason, message=""):
    return {"containerStatuses": [{"name": "neuron", "image": "i", "imageID": "", "ready": False,
                                   "restartCount": 3,
                                   "state": {"waiting": {"reason": reason, "message": message}}}]}


def test_crashloop_and_image_pull_failures_are_reported(cluster, start_chain, operator, apply, get, wait_for,
                                                        kubelet_create_pod_for):
    chain = start_chain(burn=TAO // 10)
    setup(apply, chain)
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered")
    kubelet_create_pod_for(get("statefulsets", NS, "miner-0"), ready=False)
    for reason in ("CrashLoopBackOff", "ImagePullBackOff"):
        cluster.set_status("pods", NS, "miner-0-0", waiting(reason, "back-off"))
        n = wait_for(lambda: cond_is(x := get("neurons", NS, "miner-0"), "PodReady", "False", reason) and x,
                     timeout=30, message=f"PodReady {reason}")
        assert "3 restarts" in next(c for c in n["status"]["conditions"] if c["type"] == "PodReady")["message"]
        wait_for(lambda: reason in [e.get("reason") for e in events_for(cluster, "Neuron", "miner-0")],
                 timeout=20, message=f"{reason} Event")
